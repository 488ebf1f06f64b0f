package authserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// claimsOf decodes a JWT payload without verifying it.
func claimsOf(t testing.TB, jwt string) []byte {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func headerOf(t testing.TB, jwt string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// codeFor runs a flow up to the authorization code.
func (e *env) codeFor(t testing.TB, c registered) (code, verifier string) {
	t.Helper()
	v, ch := pkce()
	return e.codeFrom(t, e.newBrowser().run(e.authURL(c.ID, clientRedirect, ch, nil))), v
}

func TestAccessTokenFormat(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	tk := e.login(c)
	h := headerOf(t, tk.Access)
	if h["alg"] != "ES256" || h["typ"] != "at+jwt" || h["kid"] == nil {
		t.Fatalf("header %v", h)
	}
	var cl map[string]any
	_ = json.Unmarshal(claimsOf(t, tk.Access), &cl)
	for k, v := range map[string]any{"iss": e.base, "sub": aliceSub, "aud": e.base + "/mcp", "client_id": c.ID, "email": alice} {
		if cl[k] != v {
			t.Errorf("%s = %v, want %v", k, cl[k], v)
		}
	}
	for _, k := range []string{"exp", "iat", "nbf", "jti", "gid", "scope"} {
		if cl[k] == nil {
			t.Errorf("claim %s missing", k)
		}
	}
	if exp, iat := cl["exp"].(float64), cl["iat"].(float64); exp-iat != 3600 || tk.ExpiresIn != 3600 {
		t.Errorf("lifetime %v", exp-iat)
	}
	if !strings.HasPrefix(tk.Refresh, "gwr_") || len(tk.Refresh) < 40 {
		t.Errorf("refresh token %q", tk.Refresh)
	}
}

func TestTokenEndpointBadRequests(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	post := func(ct, body string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, e.base+"/oauth/token", strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		return e.do(req)
	}
	form := "grant_type=authorization_code&client_id=" + c.ID + "&code=x&code_verifier=" + strings.Repeat("a", 43)
	cases := []struct {
		name, ct, body string
		status         int
		code           string
	}{
		{"json", "application/json", `{"grant_type":"authorization_code"}`, 400, "invalid_request"},
		{"no content type", "", form, 400, "invalid_request"},
		{"multipart", "multipart/form-data; boundary=x", "--x--", 400, "invalid_request"},
		{"oversized", "application/x-www-form-urlencoded", form + "&pad=" + strings.Repeat("x", 70<<10), 413, "invalid_request"},
		{"malformed", "application/x-www-form-urlencoded", "grant_type=%zz&client_id=" + c.ID, 400, "invalid_request"},
		{"repeated", "application/x-www-form-urlencoded", form + "&code=y", 400, "invalid_request"},
		{"no grant", "application/x-www-form-urlencoded", "client_id=" + c.ID, 400, "invalid_request"},
		{"password grant", "application/x-www-form-urlencoded", "grant_type=password&client_id=" + c.ID, 400, "unsupported_grant_type"},
		{"no client", "application/x-www-form-urlencoded", "grant_type=authorization_code&code=x", 401, "invalid_client"},
		{"unknown client", "application/x-www-form-urlencoded", "grant_type=authorization_code&code=x&client_id=mcp_x", 401, "invalid_client"},
		{"no code", "application/x-www-form-urlencoded", "grant_type=authorization_code&client_id=" + c.ID + "&code_verifier=" + strings.Repeat("a", 43), 400, "invalid_request"},
		{"no verifier", "application/x-www-form-urlencoded", "grant_type=authorization_code&client_id=" + c.ID + "&code=x", 400, "invalid_request"},
		{"unknown code", "application/x-www-form-urlencoded", form, 400, "invalid_grant"},
		{"binary", "application/x-www-form-urlencoded", "\x00\xff\xfe", 401, "invalid_client"},
	}
	for _, tc := range cases {
		resp, body := post(tc.ct, tc.body)
		if resp.StatusCode != tc.status || (tc.code != "" && decode(t, body)["error"] != tc.code) {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: no Cache-Control", tc.name)
		}
	}
}

func TestPKCEAtTheTokenEndpoint(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	code, v := e.codeFor(t, c)
	wrong, _ := pkce()
	resp, body := e.exchange(c, code, wrong, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
	// The code was burnt by the failed attempt (no verifier guessing).
	resp, body = e.exchange(c, code, v, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")

	code, _ = e.codeFor(t, c)
	resp, body = e.exchange(c, code, "short", nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
}

func TestCodeBindings(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	other := e.register(nil)
	cases := []struct {
		name   string
		client registered
		extra  map[string]string
		code   string
	}{
		{"another client", other, nil, "invalid_grant"},
		{"changed redirect", c, map[string]string{"redirect_uri": "http://127.0.0.1:54321/other"}, "invalid_grant"},
		{"redirect port changed", c, map[string]string{"redirect_uri": "http://127.0.0.1:54322/callback"}, "invalid_grant"},
		{"missing redirect", c, map[string]string{"redirect_uri": ""}, "invalid_grant"},
		{"foreign resource", c, map[string]string{"resource": "https://other.example/mcp"}, "invalid_target"},
	}
	for _, tc := range cases {
		code, v := e.codeFor(t, c)
		resp, body := e.exchange(tc.client, code, v, tc.extra)
		if resp.StatusCode != 400 || decode(t, body)["error"] != tc.code {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
	}
	// Expired.
	code, v := e.codeFor(t, c)
	e.clk.Advance(10*time.Minute + time.Second)
	resp, body := e.exchange(c, code, v, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
	// Resource may be omitted at the token endpoint.
	code, v = e.codeFor(t, c)
	resp, body = e.exchange(c, code, v, map[string]string{"resource": ""})
	parseTokens(t, resp, body)
}

func TestCodeReuseRevokesTheFirstTokens(t *testing.T) {
	e := newEnv(t, envOptions{mount: echoPrincipal})
	c := e.register(nil)
	code, v := e.codeFor(t, c)
	resp, body := e.exchange(c, code, v, nil)
	tk := parseTokens(t, resp, body)
	if resp, _ := e.callMCP("Bearer "+tk.Access, "{}"); resp.StatusCode != 200 {
		t.Fatalf("fresh token refused: %d", resp.StatusCode)
	}
	resp, body = e.exchange(c, code, v, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
	resp, body = e.callMCP("Bearer "+tk.Access, "{}")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("access token after code reuse: %d %s", resp.StatusCode, body)
	}
	resp, body = e.refresh(c, tk.Refresh, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
}

func TestParallelCodeRedemption(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	code, v := e.codeFor(t, c)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 20 {
		wg.Go(func() {
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v},
				"redirect_uri": {clientRedirect}, "client_id": {c.ID}}
			req, _ := http.NewRequest(http.MethodPost, e.base+"/oauth/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := e.ts.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode == 200 {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if resp.StatusCode != 400 {
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d redemptions succeeded, want exactly 1", ok)
	}
}

func TestConfidentialClientAuthentication(t *testing.T) {
	e := newEnv(t, envOptions{})
	basic := e.register(map[string]any{"token_endpoint_auth_method": "client_secret_basic"})
	post := e.register(map[string]any{"token_endpoint_auth_method": "client_secret_post"})
	public := e.register(nil)

	exchange := func(c registered, auth func(form url.Values, h http.Header)) (*http.Response, []byte) {
		code, v := e.codeFor(t, c)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {clientRedirect}}
		h := http.Header{}
		auth(form, h)
		return e.postForm("/oauth/token", form, h)
	}
	basicAuth := func(id, sec string) func(url.Values, http.Header) {
		return func(_ url.Values, h http.Header) {
			h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(sec))))
		}
	}
	postAuth := func(id, sec string) func(url.Values, http.Header) {
		return func(f url.Values, _ http.Header) {
			f.Set("client_id", id)
			if sec != "" {
				f.Set("client_secret", sec)
			}
		}
	}
	resp, body := exchange(basic, basicAuth(basic.ID, basic.Secret))
	parseTokens(t, resp, body)
	resp, body = exchange(post, postAuth(post.ID, post.Secret))
	parseTokens(t, resp, body)

	for name, tc := range map[string]struct {
		c    registered
		auth func(url.Values, http.Header)
		www  bool
	}{
		"basic wrong secret":    {basic, basicAuth(basic.ID, basic.Secret+"x"), true},
		"basic via post":        {basic, postAuth(basic.ID, basic.Secret), false},
		"basic without secret":  {basic, postAuth(basic.ID, ""), false},
		"post via basic":        {post, basicAuth(post.ID, post.Secret), true},
		"post wrong secret":     {post, postAuth(post.ID, "gwcs_nope"), false},
		"public with a secret":  {public, postAuth(public.ID, "made-up"), false},
		"public via basic":      {public, basicAuth(public.ID, ""), true},
		"another client secret": {basic, basicAuth(basic.ID, post.Secret), true},
	} {
		resp, body := exchange(tc.c, tc.auth)
		if resp.StatusCode != http.StatusUnauthorized || decode(t, body)["error"] != "invalid_client" {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
		}
		if tc.www && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s: no Basic challenge", name)
		}
	}
}

func TestTokenResponsesHaveNoUpstreamIssuer(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	tk := e.login(c)
	if bytes.Contains(tk.raw, []byte(e.sbSrv.URL)) || bytes.Contains(claimsOf(t, tk.Access), []byte(e.sbSrv.URL)) {
		t.Fatal("the upstream issuer is in the token response")
	}
}
