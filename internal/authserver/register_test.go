package authserver

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRegisterRefusesDangerousRedirectURIs(t *testing.T) {
	e := newEnv(t, envOptions{config: func(c *Config) { c.RegistrationsPerMinute = -1 }})
	for _, u := range []string{
		"javascript:alert(1)", "JavaScript:alert(1)", "javascript://example.com/%0aalert(1)", "data:text/html,<script>x</script>",
		"file:///etc/passwd", "vbscript:msgbox", "about:blank", "blob:https://example.com/x",
		"https://example.com/cb#frag", "https://example.com/cb#", "https://user:pw@example.com/cb", "https://user@example.com/cb",
		"http://example.com/cb", "http://10.0.0.1/cb", "http://127.0.0.2/cb", "http://LOCALHOST/cb",
		e.base + "/oauth2callback", e.base + "/oauth/authorize", e.base + "/anything",
		"https://example.com\\@evil.com/cb", "/relative/cb", "cb", "", " https://example.com/cb",
		"https://exa mple.com/cb", "https://example.com/c\nb", "https:///cb", "ws://localhost/cb", "ab:/cb",
		"com.example.app:callback", "https://example.com:99999/cb", "https://%65xample.com/cb", "https://ex\u00e4mple.com/cb",
	} {
		resp, body := e.postJSON("/oauth/register", map[string]any{"redirect_uris": []string{u}}, nil)
		if resp.StatusCode != http.StatusBadRequest || decode(t, body)["error"] != "invalid_redirect_uri" {
			t.Errorf("%q: %d %s", u, resp.StatusCode, body)
		}
	}
	for _, u := range []string{
		"https://example.com/cb", "https://example.com/cb?x=1", "http://127.0.0.1:33418/cb", "http://[::1]/cb",
		"http://localhost:6274/oauth/callback", "com.example.app:/oauth2redirect", "cursor://anysphere.cursor-retrieval/oauth/callback",
		"https://claude.ai/api/mcp/auth_callback",
	} {
		resp, body := e.postJSON("/oauth/register", map[string]any{"redirect_uris": []string{u}}, nil)
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("%q refused: %d %s", u, resp.StatusCode, body)
		}
	}
}

func TestRegisterMetadataValidation(t *testing.T) {
	e := newEnv(t, envOptions{config: func(c *Config) { c.RegistrationsPerMinute = -1 }})
	cases := []struct {
		name string
		md   map[string]any
		code string
	}{
		{"no redirect_uris", map[string]any{"client_name": "x"}, "invalid_redirect_uri"},
		{"implicit grant", map[string]any{"redirect_uris": []string{clientRedirect}, "grant_types": []string{"implicit"}}, "invalid_client_metadata"},
		{"client credentials", map[string]any{"redirect_uris": []string{clientRedirect}, "grant_types": []string{"authorization_code", "client_credentials"}}, "invalid_client_metadata"},
		{"refresh only", map[string]any{"redirect_uris": []string{clientRedirect}, "grant_types": []string{"refresh_token"}}, "invalid_client_metadata"},
		{"token response", map[string]any{"redirect_uris": []string{clientRedirect}, "response_types": []string{"token"}}, "invalid_client_metadata"},
		{"private_key_jwt", map[string]any{"redirect_uris": []string{clientRedirect}, "token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"},
		{"long name", map[string]any{"redirect_uris": []string{clientRedirect}, "client_name": strings.Repeat("n", 101)}, "invalid_client_metadata"},
		{"control in name", map[string]any{"redirect_uris": []string{clientRedirect}, "client_name": "a\u202eb"}, "invalid_client_metadata"},
		{"http client_uri", map[string]any{"redirect_uris": []string{clientRedirect}, "client_uri": "javascript:alert(1)"}, "invalid_client_metadata"},
		{"unknown scope", map[string]any{"redirect_uris": []string{clientRedirect}, "scope": "nope"}, "invalid_client_metadata"},
		{"redirect_uris not a list", map[string]any{"redirect_uris": "https://example.com/cb"}, "invalid_client_metadata"},
		{"too many redirects", map[string]any{"redirect_uris": manyRedirects(21)}, "invalid_redirect_uri"},
	}
	for _, c := range cases {
		resp, body := e.postJSON("/oauth/register", c.md, nil)
		if resp.StatusCode != http.StatusBadRequest || decode(t, body)["error"] != c.code {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, body)
		}
	}
	// Unknown fields are ignored; defaults are filled in and echoed.
	resp, body := e.postJSON("/oauth/register", map[string]any{
		"redirect_uris": []string{clientRedirect}, "jwks": map[string]any{"keys": []any{}}, "frobnicate": 7,
		"client_name": "  Inspector  ",
	}, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	m := decode(t, body)
	if m["token_endpoint_auth_method"] != "none" || m["client_name"] != "Inspector" || m["application_type"] != "native" ||
		!strings.HasPrefix(m["client_id"].(string), "mcp_") || m["client_secret"] != nil || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("response %s", body)
	}
	if len(strings.TrimPrefix(m["client_id"].(string), "mcp_")) < 22 { // 128+ bits
		t.Fatalf("client id too short: %v", m["client_id"])
	}
}

func manyRedirects(n int) []string {
	var out []string
	for i := range n {
		out = append(out, "https://example.com/cb"+string(rune('a'+i%26)))
	}
	return out
}

func TestRegisterBadBodies(t *testing.T) {
	e := newEnv(t, envOptions{config: func(c *Config) { c.RegistrationsPerMinute = -1 }})
	post := func(ct string, body []byte) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, e.base+"/oauth/register", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		return e.do(req)
	}
	big := []byte(`{"redirect_uris":["` + clientRedirect + `"],"client_name":"` + strings.Repeat("x", 70<<10) + `"}`)
	for _, c := range []struct {
		name, ct string
		body     []byte
		status   int
	}{
		{"oversized", "application/json", big, http.StatusRequestEntityTooLarge},
		{"malformed", "application/json", []byte(`{"redirect_uris":[`), http.StatusBadRequest},
		{"not an object", "application/json", []byte(`[1,2]`), http.StatusBadRequest},
		{"null", "application/json", []byte(`null`), http.StatusBadRequest},
		{"form", "application/x-www-form-urlencoded", []byte(`redirect_uris=x`), http.StatusBadRequest},
		{"no content type", "", []byte(`{}`), http.StatusBadRequest},
		{"binary", "application/json", []byte{0xff, 0xfe, 0x00}, http.StatusBadRequest},
	} {
		resp, body := post(c.ct, c.body)
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, body)
		}
	}
}

func TestRegisterConfidentialClientAndSecretsStoredHashed(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, method := range []string{"client_secret_basic", "client_secret_post"} {
		c := e.register(map[string]any{"token_endpoint_auth_method": method})
		if !strings.HasPrefix(c.Secret, "gwcs_") || len(c.Secret) < 40 {
			t.Fatalf("%s: secret %q", method, c.Secret)
		}
		raw, err := e.st.Get(t.Context(), prefixClient+c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(c.Secret)) || bytes.Contains(raw, []byte(c.RegToken)) {
			t.Fatalf("%s: a secret is stored in the clear", method)
		}
	}
}

func TestClientManagement(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	other := e.register(nil)
	get := func(id, tok string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, e.base+"/oauth/register/"+id, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		return e.do(req)
	}
	if c.RegURI != e.base+"/oauth/register/"+c.ID {
		t.Fatalf("registration_client_uri %s", c.RegURI)
	}
	resp, body := get(c.ID, c.RegToken)
	if resp.StatusCode != 200 || decode(t, body)["client_id"] != c.ID {
		t.Fatalf("read: %d %s", resp.StatusCode, body)
	}
	for name, tok := range map[string]string{"missing": "", "wrong": "gwrat_wrong", "other client's": other.RegToken,
		"truncated": c.RegToken[:len(c.RegToken)-1]} {
		resp, _ := get(c.ID, tok)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("%s token: %d", name, resp.StatusCode)
		}
	}
	if resp, _ := get("mcp_doesnotexist", c.RegToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown client: %d", resp.StatusCode)
	}

	put := func(tok string, md map[string]any) (*http.Response, []byte) {
		return e.putJSON("/oauth/register/"+c.ID, md, tok)
	}
	newRedirect := "http://127.0.0.1:9999/new"
	if resp, _ := put(other.RegToken, map[string]any{"client_id": c.ID, "redirect_uris": []string{newRedirect}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("update with another client's token: %d", resp.StatusCode)
	}
	if resp, _ := put(c.RegToken, map[string]any{"client_id": other.ID, "redirect_uris": []string{newRedirect}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("update naming another client: %d", resp.StatusCode)
	}
	if resp, _ := put(c.RegToken, map[string]any{"client_id": c.ID, "redirect_uris": []string{"javascript:x"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("update to a bad redirect: %d", resp.StatusCode)
	}
	if resp, _ := put(c.RegToken, map[string]any{"client_id": c.ID, "redirect_uris": []string{newRedirect}, "token_endpoint_auth_method": "client_secret_post"}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("update changing the auth method: %d", resp.StatusCode)
	}
	resp, body = put(c.RegToken, map[string]any{"client_id": c.ID, "redirect_uris": []string{newRedirect}, "client_name": "Renamed"})
	if resp.StatusCode != 200 || decode(t, body)["client_name"] != "Renamed" {
		t.Fatalf("update: %d %s", resp.StatusCode, body)
	}

	// A token issued to the client dies with its deletion.
	tk := e.loginRedirect(registered{ID: c.ID}, newRedirect)
	del := func(tok string) *http.Response {
		req, _ := http.NewRequest(http.MethodDelete, e.base+"/oauth/register/"+c.ID, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, _ := e.do(req)
		return resp
	}
	if resp := del(other.RegToken); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("delete with another client's token: %d", resp.StatusCode)
	}
	if resp := del(c.RegToken); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if resp, _ := get(c.ID, c.RegToken); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("read after delete: %d", resp.StatusCode)
	}
	if _, err := e.srv.VerifyAccessToken(t.Context(), tk.Access); err == nil {
		t.Fatal("an access token of a deleted client still verifies")
	}
}

func (e *env) putJSON(path string, v any, tok string) (*http.Response, []byte) {
	e.t.Helper()
	b := mustJSON(v)
	req, _ := http.NewRequest(http.MethodPut, e.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	return e.do(req)
}

// loginRedirect runs the flow with a given redirect URI.
func (e *env) loginRedirect(c registered, redirect string) tokens {
	e.t.Helper()
	v, ch := pkce()
	loc := e.newBrowser().run(e.authURL(c.ID, redirect, ch, nil))
	code := e.codeFrom(e.t, loc)
	resp, body := e.exchange(c, code, v, map[string]string{"redirect_uri": redirect})
	return parseTokens(e.t, resp, body)
}

func TestRegistrationRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{config: func(c *Config) { c.RegistrationsPerMinute = 3; c.TrustedProxyHeaders = true }})
	md := map[string]any{"redirect_uris": []string{clientRedirect}}
	from := func(addr string) http.Header { return http.Header{"X-Forwarded-For": {"6.6.6.6, " + addr}} }
	for i := range 3 {
		if resp, body := e.postJSON("/oauth/register", md, from("203.0.113.7")); resp.StatusCode != http.StatusCreated {
			t.Fatalf("registration %d: %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := e.postJSON("/oauth/register", md, from("203.0.113.7"))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("4th registration: %d %s", resp.StatusCode, body)
	}
	// The client-controlled first X-Forwarded-For entry does not matter; the last does.
	if resp, _ := e.postJSON("/oauth/register", md, http.Header{"X-Forwarded-For": {"1.2.3.4, 203.0.113.7"}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("spoofed first entry escaped the limit: %d", resp.StatusCode)
	}
	if resp, _ := e.postJSON("/oauth/register", md, from("203.0.113.8")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("another address: %d", resp.StatusCode)
	}
	e.clk.Advance(61 * time.Second)
	if resp, _ := e.postJSON("/oauth/register", md, from("203.0.113.7")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after a minute: %d", resp.StatusCode)
	}
}

func TestRegistrationCapAndIdleExpiry(t *testing.T) {
	e := newEnv(t, envOptions{config: func(c *Config) { c.MaxClients = 2; c.RegistrationsPerMinute = -1 }})
	used := e.register(nil)
	e.register(nil)
	resp, body := e.postJSON("/oauth/register", map[string]any{"redirect_uris": []string{clientRedirect}}, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || decode(t, body)["error"] != "temporarily_unavailable" {
		t.Fatalf("over the cap: %d %s", resp.StatusCode, body)
	}
	e.login(used) // a successful exchange makes the client "used"
	e.clk.Advance(25 * time.Hour)
	if _, err := e.srv.lookupClient(t.Context(), used.ID); err != nil {
		t.Fatalf("a used client expired: %v", err)
	}
	// The unused one expired; its slot is free again.
	if resp, body := e.postJSON("/oauth/register", map[string]any{"redirect_uris": []string{clientRedirect}}, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after expiry: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.postJSON("/oauth/register", map[string]any{"redirect_uris": []string{clientRedirect}}, nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("cap not enforced after recount: %d", resp.StatusCode)
	}
}
