package sandbox

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestAuthorizeErrorsShowAPageNeverRedirect covers the requests Google
// refuses on its own page: the redirect URI is not trusted or the request is
// malformed, so nothing is sent back to the client.
func TestAuthorizeErrorsShowAPageNeverRedirect(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name       string
		params     url.Values
		wantStatus int
		wantCode   string
	}{
		{"unknown client", url.Values{"client_id": {"nope.apps.googleusercontent.com"}}, 401, "invalid_client"},
		{"missing client_id", url.Values{"client_id": {""}}, 400, "invalid_request"},
		{"missing redirect_uri", url.Values{"redirect_uri": {""}}, 400, "invalid_request"},
		{"redirect_uri with trailing slash", url.Values{"redirect_uri": {webRedirect + "/"}}, 400, "redirect_uri_mismatch"},
		{"redirect_uri over http", url.Values{"redirect_uri": {"http://gwmcp.test/oauth2callback"}}, 400, "redirect_uri_mismatch"},
		{"redirect_uri with a port", url.Values{"redirect_uri": {"https://gwmcp.test:8443/oauth2callback"}}, 400, "redirect_uri_mismatch"},
		{"redirect_uri with a query", url.Values{"redirect_uri": {webRedirect + "?x=1"}}, 400, "redirect_uri_mismatch"},
		{"redirect_uri of another client", url.Values{"redirect_uri": {otherRedirect}}, 400, "redirect_uri_mismatch"},
		{"loopback on a web client", url.Values{"redirect_uri": {"http://127.0.0.1:5000/cb"}}, 400, "redirect_uri_mismatch"},
		{"missing response_type", url.Values{"response_type": {""}}, 400, "invalid_request"},
		{"implicit flow", url.Values{"response_type": {"token"}}, 400, "unsupported_response_type"},
		{"form_post mode", url.Values{"response_mode": {"form_post"}}, 400, "invalid_request"},
		{"missing scope", url.Values{"scope": {""}}, 400, "invalid_request"},
		{"unknown scope", url.Values{"scope": {"openid https://evil.test/all"}}, 400, "invalid_scope"},
		{"bad access_type", url.Values{"access_type": {"forever"}}, 400, "invalid_request"},
		{"bad prompt", url.Values{"prompt": {"login"}}, 400, "invalid_request"},
		{"prompt none with consent", url.Values{"prompt": {"none consent"}}, 400, "invalid_request"},
		{"method without challenge", url.Values{"code_challenge_method": {"S256"}}, 400, "invalid_request"},
		{"unknown challenge method", url.Values{"code_challenge": {strings.Repeat("a", 43)},
			"code_challenge_method": {"S512"}}, 400, "invalid_request"},
		{"short challenge", url.Values{"code_challenge": {"abc"}, "code_challenge_method": {"S256"}}, 400, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.params.Set("login_hint", alice)
			tc.params.Set("state", "s1")
			resp := h.get(h.authURL(tc.params))
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if loc := resp.Header.Get("Location"); loc != "" {
				t.Errorf("redirected to %s", loc)
			}
			if !strings.Contains(string(body), tc.wantCode) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("page does not name %s: %s", tc.wantCode, body)
			}
		})
	}
	if got := h.sb.Stats().Authorizations; got != 0 {
		t.Errorf("Authorizations = %d after refused requests", got)
	}
}

func TestDesktopClientAcceptsAnyLoopbackRedirect(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		redirect string
		ok       bool
	}{
		{"http://127.0.0.1:53127/", true},
		{"http://localhost:8080/callback", true},
		{"http://[::1]:9000/cb", true},
		{"https://127.0.0.1:53127/", false},
		{"http://192.168.1.10:8080/", false},
		{"http://gwmcp.test/cb", false},
	}
	for _, tc := range tests {
		t.Run(tc.redirect, func(t *testing.T) {
			resp := h.get(h.authURL(url.Values{"client_id": {desktopClientID}, "redirect_uri": {tc.redirect},
				"login_hint": {alice}}))
			if tc.ok {
				if q := h.redirectParams(resp, strings.SplitN(tc.redirect, "?", 2)[0]); q.Get("code") == "" {
					t.Errorf("no code: %v", q)
				}
				return
			}
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}

// chooser opens the account chooser page and returns its form's action and
// pending request id.
func (h *harness) chooser(params url.Values) (action, request string) {
	h.t.Helper()
	resp := h.get(h.authURL(params))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("chooser status %d: %s", resp.StatusCode, body)
	}
	for _, a := range h.sb.Accounts() {
		if !strings.Contains(string(body), a.Email) {
			h.t.Errorf("chooser does not list %s", a.Email)
		}
	}
	m := regexp.MustCompile(`name="request" value="([^"]+)"`).FindSubmatch(body)
	a := regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindSubmatch(body)
	if m == nil || a == nil {
		h.t.Fatalf("no form in chooser: %s", body)
	}
	return string(a[1]), string(m[1])
}

func (h *harness) submit(action string, form url.Values) *http.Response {
	h.t.Helper()
	resp, err := h.browser.PostForm(action, form)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestAccountChooser(t *testing.T) {
	tests := []struct {
		name   string
		params url.Values
		form   url.Values
		check  func(t *testing.T, h *harness, q url.Values)
	}{
		{
			name: "choosing bob signs bob in", params: url.Values{"state": {"st"}},
			form: url.Values{"account": {bob}},
			check: func(t *testing.T, h *harness, q url.Values) {
				status, body := h.exchange(q.Get("code"), nil)
				if status != http.StatusOK {
					t.Fatalf("exchange: %d %v", status, body)
				}
				idt, err := h.verifier(webClientID).Verify(h.ctx(), str(body, "id_token"))
				if err != nil || idt.Subject != "109876543210000000002" {
					t.Fatalf("ID token: %v", err)
				}
			},
		},
		{
			name: "cancel denies access", params: url.Values{"state": {"st"}},
			form: url.Values{"action": {"deny"}},
			check: func(t *testing.T, h *harness, q url.Values) {
				if q.Get("error") != "access_denied" || q.Get("code") != "" {
					t.Errorf("redirect query %v", q)
				}
			},
		},
		{
			name:   "select_account shows the page despite login_hint",
			params: url.Values{"state": {"st"}, "login_hint": {alice}, "prompt": {"select_account"}},
			form:   url.Values{"account": {"carol@sandbox.example"}},
			check: func(t *testing.T, h *harness, q url.Values) {
				_, body := h.exchange(q.Get("code"), nil)
				if g, ok := h.sb.AccessTokenInfo(str(body, "access_token")); !ok || g.Email != "carol@sandbox.example" {
					t.Errorf("grant %+v", g)
				}
			},
		},
		{
			name: "unknown login_hint shows the page", params: url.Values{"state": {"st"}, "login_hint": {"zed@nowhere.example"}},
			form: url.Values{"account": {alice}},
			check: func(t *testing.T, h *harness, q url.Values) {
				if q.Get("code") == "" {
					t.Errorf("no code: %v", q)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			action, id := h.chooser(tc.params)
			tc.form.Set("request", id)
			q := h.redirectParams(h.submit(action, tc.form), webRedirect)
			if q.Get("state") != "st" || q.Get("iss") != h.srv.URL {
				t.Errorf("state %q iss %q", q.Get("state"), q.Get("iss"))
			}
			tc.check(t, h, q)
			// The pending request is single-use.
			resp := h.submit(action, tc.form)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("second submit: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}

func TestAutoApproveSkipsThePage(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.AutoApprove = bob })
	tests := []struct {
		params url.Values
		want   string
	}{
		{url.Values{}, bob},
		{url.Values{"prompt": {"select_account consent"}}, bob},
		{url.Values{"login_hint": {"zed@nowhere.example"}}, bob},
		{url.Values{"login_hint": {alice}}, alice}, // a known hint wins
		{url.Values{"login_hint": {alice}, "prompt": {"select_account"}}, alice},
	}
	for _, tc := range tests {
		q := h.redirectParams(h.get(h.authURL(tc.params)), webRedirect)
		_, body := h.exchange(q.Get("code"), nil)
		if g, ok := h.sb.AccessTokenInfo(str(body, "access_token")); !ok || g.Email != tc.want {
			t.Errorf("%v: signed in as %+v, want %s", tc.params, g, tc.want)
		}
	}
	if err := h.sb.SetAutoApprove("nobody@sandbox.example"); err == nil {
		t.Error("SetAutoApprove accepted an unknown account")
	}
	if err := h.sb.SetAutoApprove(""); err != nil {
		t.Fatal(err)
	}
	if resp := h.get(h.authURL(nil)); resp.StatusCode != http.StatusOK {
		t.Errorf("with auto-approve off the chooser is shown, got %d", resp.StatusCode)
	}
}

func TestPromptNone(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name      string
		params    url.Values
		wantError string
	}{
		{"no account", url.Values{"prompt": {"none"}}, "login_required"},
		{"no consent yet", url.Values{"prompt": {"none"}, "login_hint": {alice}}, "consent_required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := h.redirectParams(h.get(h.authURL(tc.params)), webRedirect)
			if q.Get("error") != tc.wantError {
				t.Errorf("error = %q, want %q", q.Get("error"), tc.wantError)
			}
		})
	}
	h.code(nil)
	q := h.redirectParams(h.get(h.authURL(url.Values{"prompt": {"none"}, "login_hint": {alice}})), webRedirect)
	if q.Get("code") == "" || q.Get("prompt") != "none" {
		t.Errorf("after consent prompt=none gives %v", q)
	}
	q = h.redirectParams(h.get(h.authURL(url.Values{"prompt": {"none"}, "login_hint": {alice},
		"scope": {"openid " + scopeGmailRO}})), webRedirect)
	if q.Get("error") != "consent_required" {
		t.Errorf("new scope with prompt=none gives %v", q)
	}
}
