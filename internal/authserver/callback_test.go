package authserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gwmcp/gwmcp/internal/secret"
)

// toUpstream approves the consent page and returns the identity provider URL the
// browser is sent to (without following it).
func (e *env) toUpstream(t *testing.T, b *browser, c registered) *url.URL {
	t.Helper()
	_, ch := pkce()
	_, body := b.get(e.authURL(c.ID, clientRedirect, ch, nil))
	f, ok := parseConsent(body)
	if !ok {
		t.Fatalf("no consent page: %s", body)
	}
	resp, _ := b.submit(f, "approve", nil)
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), e.sbSrv.URL) {
		t.Fatalf("not sent upstream: %d %v", resp.StatusCode, loc)
	}
	return loc
}

// upstreamCallback follows the identity provider (auto-approve) and returns our
// callback URL without visiting it.
func (e *env) upstreamCallback(t *testing.T, b *browser, up *url.URL) *url.URL {
	t.Helper()
	resp, body := b.get(up.String())
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), e.base+"/oauth2callback") {
		t.Fatalf("sandbox did not redirect back: %d %s", resp.StatusCode, body)
	}
	return loc
}

func TestCallbackBrowserBinding(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)

	// The victim's browser is handed a login the attacker started: no binding cookie.
	attacker, victim := e.newBrowser(), e.newBrowser()
	cb := e.upstreamCallback(t, attacker, e.toUpstream(t, attacker, c))
	resp, body := victim.get(cb.String())
	wantErrorPage(t, resp, body, "callback without the binding cookie")

	// The state is single use: even the right browser cannot use it now.
	resp, body = attacker.get(cb.String())
	wantErrorPage(t, resp, body, "callback after a failed attempt")

	// Another browser's cookie: the victim has a login of its own in flight and a
	// forged cookie under the attacker state's name.
	cb = e.upstreamCallback(t, attacker, e.toUpstream(t, attacker, c))
	victimUp := e.toUpstream(t, victim, c)
	victimState := victimUp.Query().Get("state")
	var victimBind string
	for _, ck := range victim.c.Jar.Cookies(mustURL(e.base)) {
		if ck.Name == bindCookieName(victimState) {
			victimBind = ck.Value
		}
	}
	if victimBind == "" {
		t.Fatal("no binding cookie was set")
	}
	victim.c.Jar.SetCookies(mustURL(e.base), []*http.Cookie{{Name: bindCookieName(cb.Query().Get("state")), Value: victimBind, Path: "/"}})
	resp, body = victim.get(cb.String())
	wantErrorPage(t, resp, body, "callback with another browser's cookie")

	// The right browser completes its own login, once.
	cb = e.upstreamCallback(t, victim, victimUp)
	resp, _ = victim.get(cb.String())
	loc, _ := resp.Location()
	if loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("own login failed: %d", resp.StatusCode)
	}
	resp, body = victim.get(cb.String())
	wantErrorPage(t, resp, body, "replayed state")
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestCallbackUpstreamErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	for _, tc := range []struct{ upstreamError, want string }{
		{"access_denied", "access_denied"},
		{"temporarily_unavailable", "temporarily_unavailable"},
		{"<script>", "server_error"},
	} {
		b := e.newBrowser()
		up := e.toUpstream(t, b, c)
		cb := e.base + "/oauth2callback?" + url.Values{"state": {up.Query().Get("state")}, "error": {tc.upstreamError},
			"error_description": {"raw upstream text"}}.Encode()
		resp, _ := b.get(cb)
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("%s: no redirect", tc.upstreamError)
		}
		q := loc.Query()
		if q.Get("error") != tc.want || q.Get("state") != "client-state-123" || q.Get("iss") != e.base ||
			strings.Contains(loc.String(), "raw upstream text") {
			t.Errorf("%s: %s", tc.upstreamError, loc)
		}
	}
	// A forged upstream code fails the exchange; nothing leaks.
	b := e.newBrowser()
	up := e.toUpstream(t, b, c)
	resp, _ := b.get(e.base + "/oauth2callback?" + url.Values{"state": {up.Query().Get("state")}, "code": {"forged"}}.Encode())
	loc, _ := resp.Location()
	if loc == nil || loc.Query().Get("error") != "server_error" || strings.Contains(loc.String(), e.sbSrv.URL) {
		t.Fatalf("forged code: %v", loc)
	}
}

// TestNoUpstreamSecretsReachTheClient checks every body and URL the client sees.
func TestNoUpstreamSecretsReachTheClient(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	b := e.newBrowser()
	v, ch := pkce()
	loc := b.run(e.authURL(c.ID, clientRedirect, ch, nil))
	resp, body := e.exchange(c, e.codeFrom(t, loc), v, nil)
	tk := parseTokens(t, resp, body)
	resp, body2 := e.refresh(c, tk.Refresh, nil)
	parseTokens(t, resp, body2)
	l := e.accounts.lastLogin()
	seen := strings.Join(append(b.pages, loc.String(), string(body), string(body2), string(claimsOf(t, tk.Access))), "\n")
	for name, s := range map[string]secret.String{"access": l.Tokens.AccessToken, "refresh": l.Tokens.RefreshToken, "id": l.Tokens.IDToken} {
		if s.IsZero() {
			if name == "refresh" {
				t.Fatal("no upstream refresh token at first login")
			}
			continue
		}
		if strings.Contains(seen, s.Reveal()) {
			t.Errorf("the upstream %s token reached the client", name)
		}
	}
	if strings.Contains(seen, e.sbSrv.URL) || strings.Contains(seen, upstreamID) {
		t.Error("the upstream issuer or client id reached the client")
	}
}

func TestRememberedBrowserButAnotherPerson(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	b := e.newBrowser()
	// Bob approves the client in this browser.
	v, ch := pkce()
	loc := b.run(e.authURL(c.ID, clientRedirect, ch, map[string]string{"login_hint": bob}))
	if resp, body := e.exchange(c, e.codeFrom(t, loc), v, nil); resp.StatusCode != 200 {
		t.Fatalf("bob: %s", body)
	}
	if e.accounts.lastLogin().Identity.Email != bob {
		t.Fatal("bob did not log in")
	}
	// Alice uses the same browser: the consent page is skipped before login (the browser
	// knows the client), but shown after it, because Alice never approved the client.
	v, ch = pkce()
	loc = b.run(e.authURL(c.ID, clientRedirect, ch, map[string]string{"login_hint": alice}))
	if len(b.pages) != 2 || !strings.Contains(b.pages[1], "Signed in as <b>"+alice) {
		t.Fatalf("pages %d", len(b.pages))
	}
	resp, body := e.exchange(c, e.codeFrom(t, loc), v, nil)
	tk := parseTokens(t, resp, body)
	var cl map[string]any
	_ = jsonUnmarshal(claimsOf(t, tk.Access), &cl)
	if cl["sub"] != aliceSub {
		t.Fatalf("token for %v", cl["sub"])
	}
}

func TestMissingUpstreamRefreshTokenAsksForConsent(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	b := e.newBrowser()
	e.loginWith(b, c)
	// Forget that we ever got a refresh token for Alice; the provider remembers her
	// grant and will not show its consent screen (nor issue a refresh token) unasked.
	if err := e.st.Delete(t.Context(), prefixPerson+subjectKey(aliceSub)); err != nil {
		t.Fatal(err)
	}
	before := e.sb.Stats().Authorizations
	other := e.register(nil)
	e.loginWith(b, other)
	if got := e.sb.Stats().Authorizations - before; got != 2 {
		t.Fatalf("upstream authorizations %d, want 2 (the second with prompt=consent)", got)
	}
	if e.accounts.lastLogin().Tokens.RefreshToken.IsZero() {
		t.Fatal("SaveLogin got no refresh token")
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
