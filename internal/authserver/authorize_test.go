package authserver

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// wantErrorPage asserts an HTML error page and no redirect anywhere.
func wantErrorPage(t *testing.T, resp *http.Response, body string, what string) {
	t.Helper()
	if resp.StatusCode < 400 || resp.Header.Get("Location") != "" || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("%s: want an error page, got %d Location=%q", what, resp.StatusCode, resp.Header.Get("Location"))
	}
	if strings.Contains(body, "<script") {
		t.Errorf("%s: error page echoes markup", what)
	}
}

func TestAuthorizeRefusesBadClientOrRedirectWithoutRedirecting(t *testing.T) {
	e := newEnv(t, envOptions{})
	web := e.register(map[string]any{"redirect_uris": []string{"https://app.example.com/oauth/cb"}})
	loop := e.register(map[string]any{"redirect_uris": []string{"http://127.0.0.1:5000/cb"}})
	_, ch := pkce()
	b := e.newBrowser()
	cases := []struct {
		name, client, redirect string
	}{
		{"unknown client", "mcp_unknown", "https://app.example.com/oauth/cb"},
		{"no client", "", "https://app.example.com/oauth/cb"},
		{"other host", web.ID, "https://evil.example.com/oauth/cb"},
		{"other path", web.ID, "https://app.example.com/oauth/cb2"},
		{"extra query", web.ID, "https://app.example.com/oauth/cb?x=1"},
		{"trailing slash", web.ID, "https://app.example.com/oauth/cb/"},
		{"path case", web.ID, "https://app.example.com/OAuth/cb"},
		{"host case", web.ID, "https://APP.example.com/oauth/cb"},
		{"http downgrade", web.ID, "http://app.example.com/oauth/cb"},
		{"port on web", web.ID, "https://app.example.com:8443/oauth/cb"},
		{"fragment", web.ID, "https://app.example.com/oauth/cb#x"},
		{"userinfo", web.ID, "https://evil@app.example.com/oauth/cb"},
		{"javascript", web.ID, "javascript:alert(1)"},
		{"data", web.ID, "data:text/html,hi"},
		{"own callback", web.ID, e.base + "/oauth2callback"},
		{"loopback other host", loop.ID, "http://localhost:5000/cb"},
		{"loopback other path", loop.ID, "http://127.0.0.1:5001/cb2"},
		{"loopback https", loop.ID, "https://127.0.0.1:5000/cb"},
		{"loopback to gwmcp's port", loop.ID, strings.Replace(e.base, "127.0.0.1", "127.0.0.1", 1) + "/cb"},
	}
	for _, c := range cases {
		resp, body := b.get(e.authURL(c.client, c.redirect, ch, nil))
		wantErrorPage(t, resp, body, c.name)
	}
	// A missing redirect_uri is fine when exactly one is registered.
	resp, body := b.get(e.authURL(web.ID, "", ch, map[string]string{"redirect_uri": ""}))
	if resp.StatusCode != 200 || !strings.Contains(body, "app.example.com") {
		t.Errorf("omitted redirect_uri: %d", resp.StatusCode)
	}
	// Loopback: another port is the same redirect (RFC 8252).
	resp, _ = b.get(e.authURL(loop.ID, "http://127.0.0.1:61234/cb", ch, nil))
	if resp.StatusCode != 200 {
		t.Errorf("loopback port change refused: %d", resp.StatusCode)
	}
	resp, _ = b.get(e.authURL(loop.ID, "http://127.0.0.1/cb", ch, nil))
	if resp.StatusCode != 200 {
		t.Errorf("loopback without port refused: %d", resp.StatusCode)
	}
}

func TestAuthorizeErrorsGoToTheClient(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	_, ch := pkce()
	b := e.newBrowser()
	cases := []struct {
		name  string
		extra map[string]string
		code  string
	}{
		{"response_type token", map[string]string{"response_type": "token"}, "unsupported_response_type"},
		{"no response_type", map[string]string{"response_type": ""}, "invalid_request"},
		{"no PKCE", map[string]string{"code_challenge": "", "code_challenge_method": ""}, "invalid_request"},
		{"plain PKCE", map[string]string{"code_challenge_method": "plain"}, "invalid_request"},
		{"method missing", map[string]string{"code_challenge_method": ""}, "invalid_request"},
		{"short challenge", map[string]string{"code_challenge": "abc"}, "invalid_request"},
		{"challenge with bad chars", map[string]string{"code_challenge": strings.Repeat("+", 43)}, "invalid_request"},
		{"foreign resource", map[string]string{"resource": "https://other.example.com/mcp"}, "invalid_target"},
		{"base URL as resource", map[string]string{"resource": e.base}, "invalid_target"},
		{"resource other path", map[string]string{"resource": e.base + "/mcp/x"}, "invalid_target"},
		{"unknown scope", map[string]string{"scope": "drive https://evil.example/scope"}, "invalid_scope"},
		{"prompt none", map[string]string{"prompt": "none"}, "interaction_required"},
		{"response_mode fragment", map[string]string{"response_mode": "fragment"}, "invalid_request"},
	}
	for _, tc := range cases {
		resp, _ := b.get(e.authURL(c.ID, clientRedirect, ch, tc.extra))
		loc, err := resp.Location()
		if err != nil {
			t.Errorf("%s: no redirect (%d)", tc.name, resp.StatusCode)
			continue
		}
		q := loc.Query()
		if !strings.HasPrefix(loc.String(), clientRedirect+"?") || q.Get("error") != tc.code ||
			q.Get("state") != "client-state-123" || q.Get("iss") != e.base || q.Get("code") != "" {
			t.Errorf("%s: redirect %s", tc.name, loc)
		}
	}
	// Repeated parameters.
	u := e.authURL(c.ID, clientRedirect, ch, nil) + "&scope=drive&scope=gmail"
	resp, _ := b.get(u)
	if loc, _ := resp.Location(); loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Errorf("repeated scope: %v", loc)
	}
	// Accepted resource spellings.
	for _, res := range []string{e.base + "/mcp", e.base + "/mcp/"} {
		if resp, _ := b.get(e.authURL(c.ID, clientRedirect, ch, map[string]string{"resource": res})); resp.StatusCode != 200 {
			t.Errorf("resource %s refused: %d", res, resp.StatusCode)
		}
	}
	// Scope values: URLs, short names, groups, service names and offline_access.
	resp, body := b.get(e.authURL(c.ID, clientRedirect, ch, map[string]string{
		"scope": "https://www.googleapis.com/auth/drive.readonly gmail calendar_basic offline_access"}))
	if resp.StatusCode != 200 || !strings.Contains(body, "Gmail") || !strings.Contains(body, "Google Calendar") {
		t.Errorf("mixed scope values: %d", resp.StatusCode)
	}
}

func TestConsentPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(map[string]any{"client_name": `<script>alert("x")</script><img src=x onerror=alert(1)>`})
	_, ch := pkce()
	b := e.newBrowser()
	resp, body := b.get(e.authURL(c.ID, clientRedirect, ch, map[string]string{"scope": "drive gmail"}))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatal("client_name is not escaped")
	}
	h := resp.Header
	if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
		h.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", h)
	}
	if !strings.Contains(body, `>Approve</button>`) || !strings.Contains(body, `>Deny</button>`) {
		t.Fatal("buttons")
	}
	if !strings.Contains(body, "http://127.0.0.1:54321") {
		t.Fatal("redirect host not shown")
	}
	if strings.Contains(body, "client-state-123") || strings.Contains(body, ch) {
		t.Fatal("the page carries the request's state or challenge")
	}
	f, ok := parseConsent(body)
	if !ok || len(f.Services) != 2 {
		t.Fatalf("form %+v", f)
	}
}

func TestConsentCSRF(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	_, ch := pkce()
	b := e.newBrowser()
	start := func() consentForm {
		_, body := b.get(e.authURL(c.ID, clientRedirect, ch, nil))
		f, ok := parseConsent(body)
		if !ok {
			t.Fatal("no consent form")
		}
		return f
	}
	f := start()
	post := func(form url.Values, origin string, withCookies bool) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, e.base+"/oauth/authorize", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		client := b.c
		if !withCookies {
			client = e.newBrowser().c
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for name, form := range map[string]url.Values{
		"missing csrf": {"request": {f.Request}, "action": {"approve"}},
		"wrong csrf":   {"request": {f.Request}, "csrf": {f.CSRF + "x"}, "action": {"approve"}},
		"other csrf":   {"request": {f.Request}, "csrf": {start().CSRF}, "action": {"approve"}},
	} {
		if resp := post(form, e.base, true); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	good := url.Values{"request": {f.Request}, "csrf": {f.CSRF}, "action": {"approve"}, "service": {"drive"}}
	if resp := post(good, e.base, false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another browser (no cookie): %d", resp.StatusCode)
	}
	if resp := post(good, "https://evil.example", true); resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Origin: %d", resp.StatusCode)
	}
	// The failed attempts did not consume the request; the real one works once.
	if resp := post(good, e.base, true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid post: %d", resp.StatusCode)
	}
	if resp := post(good, e.base, true); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed post: %d", resp.StatusCode)
	}
}

func TestConsentDenyAndNarrow(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	b := e.newBrowser()
	b.decide = func(string) (string, []string) { return "deny", nil }
	_, ch := pkce()
	loc := b.run(e.authURL(c.ID, clientRedirect, ch, nil))
	q := loc.Query()
	if q.Get("error") != "access_denied" || q.Get("state") != "client-state-123" || q.Get("iss") != e.base || q.Get("code") != "" {
		t.Fatalf("deny: %s", loc)
	}

	// Narrowing: keep Drive, drop Gmail.
	b = e.newBrowser()
	b.decide = func(string) (string, []string) { return "approve", []string{"drive"} }
	v, ch := pkce()
	loc = b.run(e.authURL(c.ID, clientRedirect, ch, map[string]string{"scope": "drive gmail"}))
	resp, body := e.exchange(c, e.codeFrom(t, loc), v, nil)
	tk := parseTokens(t, resp, body)
	if !strings.Contains(tk.Scope, scopeDrive) || strings.Contains(tk.Scope, "gmail") || !strings.Contains(tk.Scope, "openid") {
		t.Fatalf("narrowed scope %q", tk.Scope)
	}

	// Several services ticked: a browser posts the checkbox once per service.
	b = e.newBrowser()
	b.decide = func(string) (string, []string) { return "approve", []string{"drive", "gmail"} }
	v, ch = pkce()
	loc = b.run(e.authURL(c.ID, clientRedirect, ch, map[string]string{"scope": "drive gmail"}))
	resp, body = e.exchange(c, e.codeFrom(t, loc), v, nil)
	if tk := parseTokens(t, resp, body); !strings.Contains(tk.Scope, scopeDrive) || !strings.Contains(tk.Scope, "gmail") {
		t.Fatalf("two services approved, scope %q", tk.Scope)
	}

	// Unticking everything shows the page again.
	b = e.newBrowser()
	n := 0
	b.decide = func(page string) (string, []string) {
		n++
		if n == 1 {
			return "approve", []string{}
		}
		if !strings.Contains(page, "Choose at least one service") {
			t.Error("no message on the second page")
		}
		return "approve", nil
	}
	v, ch = pkce()
	loc = b.run(e.authURL(c.ID, clientRedirect, ch, nil))
	if n != 2 || loc.Query().Get("code") == "" {
		t.Fatalf("pages %d, %s", n, loc)
	}
	_ = v
}

func TestRememberedConsent(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	other := e.register(nil)
	b := e.newBrowser()
	e.loginWith(b, c)
	if len(b.pages) != 1 {
		t.Fatalf("first login showed %d pages", len(b.pages))
	}
	e.loginWith(b, c)
	if len(b.pages) != 1 {
		t.Fatal("the same browser and client saw the consent page again")
	}
	e.loginWith(b, other)
	if len(b.pages) != 2 {
		t.Fatal("a client never approved in this browser skipped the consent page")
	}
	fresh := e.newBrowser()
	e.loginWith(fresh, c)
	if len(fresh.pages) != 1 {
		t.Fatal("a new browser skipped the consent page")
	}
	// More scopes than approved: the page again.
	v, ch := pkce()
	loc := b.run(e.authURL(c.ID, clientRedirect, ch, map[string]string{"scope": "gmail"}))
	if len(b.pages) != 3 {
		t.Fatal("wider scopes skipped the consent page")
	}
	resp, body := e.exchange(c, e.codeFrom(t, loc), v, nil)
	parseTokens(t, resp, body)
	// prompt=consent forces it.
	_, ch = pkce()
	b.run(e.authURL(c.ID, clientRedirect, ch, map[string]string{"prompt": "consent"}))
	if len(b.pages) != 4 {
		t.Fatal("prompt=consent skipped the consent page")
	}
}
