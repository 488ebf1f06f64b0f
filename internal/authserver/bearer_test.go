package authserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// ourKey reads the current signing key from the store.
func ourKey(t testing.TB, e *env) (*ecdsa.PrivateKey, string) {
	t.Helper()
	var sk storedKeys
	if err := e.srv.getJSON(t.Context(), keySigningKeys, &sk); err != nil {
		t.Fatal(err)
	}
	for _, k := range sk.Keys {
		if k.ID == sk.Current {
			priv, err := x509.ParseECPrivateKey(k.DER)
			if err != nil {
				t.Fatal(err)
			}
			return priv, k.ID
		}
	}
	t.Fatal("no current key")
	return nil, ""
}

// sign makes a JWS with any key, algorithm and header.
func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid, typ string, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestBearerRefusals(t *testing.T) {
	e := newEnv(t, envOptions{mount: echoPrincipal})
	c := e.register(nil)
	tk := e.login(c)
	var good map[string]any
	_ = json.Unmarshal(claimsOf(t, tk.Access), &good)
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	priv, kid := ourKey(t, e)
	otherEC, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := e.clk.Now()

	// alg none and HS256 keyed with our public key (algorithm confusion).
	none := b64(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + b64(good) + "."
	pubDER, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	hsInput := b64(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": kid}) + "." + b64(good)
	mac := hmac.New(sha256.New, pubDER)
	mac.Write([]byte(hsInput))
	hs := hsInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))

	up, err := e.sb.IssueTokens(alice, upstreamID, []string{"openid", "email", scopeDrive})
	if err != nil {
		t.Fatal(err)
	}
	idTok, err := e.sb.MintIDToken(alice, e.issuer+"/mcp", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, header string }{
		{"alg none", "Bearer " + none},
		{"HS256 with the public key", "Bearer " + hs},
		{"RS256 by another key", "Bearer " + sign(t, jose.RS256, sandboxKey(), kid, "at+jwt", good)},
		{"ES256 by another key with our kid", "Bearer " + sign(t, jose.ES256, otherEC, kid, "at+jwt", good)},
		{"ES384", "Bearer " + sign(t, jose.ES256, otherEC, "other", "at+jwt", good)},
		{"typ JWT", "Bearer " + sign(t, jose.ES256, priv, kid, "JWT", good)},
		{"no typ", "Bearer " + sign(t, jose.ES256, priv, kid, "", good)},
		{"expired", "Bearer " + sign(t, jose.ES256, priv, kid, "at+jwt", with("exp", now.Add(-time.Minute).Unix()))},
		{"not yet valid", "Bearer " + sign(t, jose.ES256, priv, kid, "at+jwt", with("nbf", now.Add(time.Hour).Unix()))},
		{"wrong audience", "Bearer " + sign(t, jose.ES256, priv, kid, "at+jwt", with("aud", "https://other.example/mcp"))},
		{"audience list", "Bearer " + sign(t, jose.ES256, priv, kid, "at+jwt", with("aud", []string{e.issuer + "/mcp"}))},
		{"base URL audience", "Bearer " + sign(t, jose.ES256, priv, kid, "at+jwt", with("aud", e.issuer))},
		{"wrong issuer", "Bearer " + sign(t, jose.ES256, priv, kid, "at+jwt", with("iss", e.sbSrv.URL))},
		{"no family", "Bearer " + sign(t, jose.ES256, priv, kid, "at+jwt", with("gid", nil))},
		{"unknown family", "Bearer " + sign(t, jose.ES256, priv, kid, "at+jwt", with("gid", "forged"))},
		{"other client in family", "Bearer " + sign(t, jose.ES256, priv, kid, "at+jwt", with("client_id", "mcp_other"))},
		{"tampered payload", "Bearer " + strings.Split(tk.Access, ".")[0] + "." + b64(with("sub", "1")) + "." + strings.Split(tk.Access, ".")[2]},
		{"refresh token", "Bearer " + tk.Refresh},
		{"sandbox access token", "Bearer " + up.AccessToken.Reveal()},
		{"sandbox ID token", "Bearer " + up.IDToken.Reveal()},
		{"sandbox ID token for our audience", "Bearer " + idTok},
		{"garbage", "Bearer abc"},
		{"three dots", "Bearer a.b.c"},
		{"oversized", "Bearer " + strings.Repeat("a", 5000)},
		{"bad characters", "Bearer " + tk.Access + "!"},
		{"two tokens", "Bearer " + tk.Access + " " + tk.Access},
		{"scheme only", "Bearer"},
		{"scheme and space", "Bearer "},
	}
	for _, tc := range cases {
		resp, body := e.callMCP(tc.header, "{}")
		www := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(www, `error="invalid_token"`) ||
			!strings.HasPrefix(www, `Bearer resource_metadata="`+e.issuer+`/.well-known/oauth-protected-resource/mcp"`) {
			t.Errorf("%s: %d %q %s", tc.name, resp.StatusCode, www, body)
		}
	}
	// Still fine after all that.
	if e.mcpStatus(tk.Access) != 200 {
		t.Fatal("the real token is refused")
	}
}

func TestBearerHeaderHandling(t *testing.T) {
	e := newEnv(t, envOptions{mount: echoPrincipal})
	c := e.register(nil)
	tk := e.login(c)
	for _, h := range []string{"Bearer " + tk.Access, "bearer " + tk.Access, "BEARER " + tk.Access, "Bearer   " + tk.Access} {
		resp, body := e.callMCP(h, "{}")
		if resp.StatusCode != 200 || decode(t, body)["sub"] != aliceSub {
			t.Errorf("%q: %d %s", h[:9], resp.StatusCode, body)
		}
	}
	// No credentials: 401 without an error code.
	for _, h := range []string{"", "Basic dXNlcjpwYXNz", "Token " + tk.Access} {
		resp, _ := e.callMCP(h, "{}")
		want := `Bearer resource_metadata="` + e.issuer + `/.well-known/oauth-protected-resource/mcp"`
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != want {
			t.Errorf("%q: %d %q", h, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	// A token in the query string is refused, even with a good header.
	req, _ := http.NewRequest(http.MethodPost, e.base+"/mcp?access_token="+tk.Access, strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+tk.Access)
	resp, _ := e.do(req)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_request"`) {
		t.Errorf("query token: %d", resp.StatusCode)
	}
	// Two Authorization headers.
	req, _ = http.NewRequest(http.MethodPost, e.base+"/mcp", strings.NewReader("{}"))
	req.Header.Add("Authorization", "Bearer "+tk.Access)
	req.Header.Add("Authorization", "Bearer "+tk.Access)
	if resp, _ := e.do(req); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("two headers: %d", resp.StatusCode)
	}
	// Expiry with the real token.
	e.clk.Advance(time.Hour + time.Minute)
	resp, _ = e.callMCP("Bearer "+tk.Access, "{}")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "expired") {
		t.Errorf("expired: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

func TestInsufficientScope(t *testing.T) {
	var bodySeen string
	e := newEnv(t, envOptions{
		config: func(c *Config) {
			c.RequiredScopes = func(method, tool string) []string {
				switch tool {
				case "search_gmail_messages":
					return []string{scopeGmailRO}
				case "send_gmail_message":
					return []string{scopeGmailSend}
				case "search_drive_files":
					return []string{scopeDriveRO}
				}
				return nil
			}
			c.MaxMCPBody = 1 << 10
		},
		mount: func(e *env, mux *http.ServeMux) {
			mux.Handle("/mcp", e.srv.RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				bodySeen = string(b)
				w.WriteHeader(200)
			})))
		},
	})
	c := e.register(nil)
	tk := e.login(c) // drive only
	call := func(body string) *http.Response {
		resp, _ := e.callMCP("Bearer "+tk.Access, body)
		return resp
	}
	drive := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_drive_files","arguments":{}}}`
	if resp := call(drive); resp.StatusCode != 200 || bodySeen != drive {
		t.Fatalf("drive tool: %d, body passed on %q", resp.StatusCode, bodySeen)
	}
	gmail := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search_gmail_messages"}}`
	resp := call(gmail)
	www := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(www, `error="insufficient_scope"`) ||
		!strings.Contains(www, `scope="`+scopeGmailRO+`"`) || !strings.Contains(www, `resource_metadata="`) {
		t.Fatalf("gmail tool: %d %q", resp.StatusCode, www)
	}
	batch := `[` + drive + `,{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"send_gmail_message"}}]`
	if resp := call(batch); resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Header.Get("WWW-Authenticate"), scopeGmailSend) {
		t.Fatalf("batch: %d", resp.StatusCode)
	}
	for _, body := range []string{`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, `not json`, ``,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"unknown_tool"}}`} {
		if resp := call(body); resp.StatusCode != 200 {
			t.Errorf("%q: %d", body, resp.StatusCode)
		}
	}
	if resp := call(`{"pad":"` + strings.Repeat("x", 2<<10) + `"}`); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", resp.StatusCode)
	}
}

func TestVerifiedTokenCacheHonoursRevocation(t *testing.T) {
	e := newEnv(t, envOptions{mount: echoPrincipal})
	c := e.register(nil)
	tk := e.login(c)
	for range 3 {
		if e.mcpStatus(tk.Access) != 200 {
			t.Fatal("refused")
		}
	}
	if e.srv.cache.len() == 0 {
		t.Fatal("nothing cached")
	}
	if resp, _ := e.revoke(c, tk.Access, "", nil); resp.StatusCode != 200 {
		t.Fatal("revoke")
	}
	if e.mcpStatus(tk.Access) != http.StatusUnauthorized {
		t.Fatal("the cache masked a revocation")
	}
}
