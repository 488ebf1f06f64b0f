package authserver

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func (e *env) revoke(c registered, tok, hint string, h http.Header) (*http.Response, []byte) {
	form := url.Values{"token": {tok}}
	if c.Secret == "" {
		form.Set("client_id", c.ID)
	}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	return e.postForm("/oauth/revoke", form, h)
}

func (e *env) mcpStatus(at string) int {
	resp, _ := e.callMCP("Bearer "+at, "{}")
	return resp.StatusCode
}

func TestRevokeRefreshTokenRevokesTheFamily(t *testing.T) {
	e := newEnv(t, envOptions{mount: echoPrincipal})
	c := e.register(nil)
	tk := e.login(c)
	other := e.login(c)
	if e.mcpStatus(tk.Access) != 200 {
		t.Fatal("fresh token refused")
	}
	resp, body := e.revoke(c, tk.Refresh, "refresh_token", nil)
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	if e.mcpStatus(tk.Access) != http.StatusUnauthorized {
		t.Fatal("access token of the revoked family still works")
	}
	resp, body = e.refresh(c, tk.Refresh, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
	if e.mcpStatus(other.Access) != 200 {
		t.Fatal("another family was revoked too")
	}
}

func TestRevokeAccessTokenOnly(t *testing.T) {
	e := newEnv(t, envOptions{mount: echoPrincipal})
	c := e.register(nil)
	tk := e.login(c)
	if resp, _ := e.revoke(c, tk.Access, "access_token", nil); resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	if e.mcpStatus(tk.Access) != http.StatusUnauthorized {
		t.Fatal("revoked access token still works")
	}
	resp, body := e.refresh(c, tk.Refresh, nil)
	next := parseTokens(t, resp, body)
	if e.mcpStatus(next.Access) != 200 {
		t.Fatal("revoking an access token revoked its family")
	}
	// Wrong hint: still found.
	if resp, _ := e.revoke(c, next.Access, "refresh_token", nil); resp.StatusCode != 200 || e.mcpStatus(next.Access) != http.StatusUnauthorized {
		t.Fatal("wrong hint")
	}
}

func TestRevokeRefusals(t *testing.T) {
	e := newEnv(t, envOptions{mount: echoPrincipal})
	c := e.register(nil)
	other := e.register(nil)
	conf := e.register(map[string]any{"token_endpoint_auth_method": "client_secret_post"})
	tk := e.login(c)
	// Another client's tokens: 200, nothing revoked.
	for _, tok := range []string{tk.Access, tk.Refresh} {
		if resp, _ := e.revoke(other, tok, "", nil); resp.StatusCode != 200 {
			t.Fatalf("other client: %d", resp.StatusCode)
		}
	}
	if e.mcpStatus(tk.Access) != 200 {
		t.Fatal("another client revoked the token")
	}
	if resp, body := e.refresh(c, tk.Refresh, nil); resp.StatusCode != 200 {
		t.Fatalf("another client revoked the refresh token: %s", body)
	}
	// Unknown and garbage tokens: 200.
	for _, tok := range []string{"gwr_unknown", "not-a-token", "a.b.c", strings.Repeat("x", 5000)} {
		if resp, _ := e.revoke(c, tok, "", nil); resp.StatusCode != 200 {
			t.Errorf("unknown token %q: %d", tok[:min(len(tok), 12)], resp.StatusCode)
		}
	}
	// A confidential client must authenticate.
	resp, body := e.postForm("/oauth/revoke", url.Values{"token": {tk.Refresh}, "client_id": {conf.ID}}, nil)
	wantOAuthError(t, resp, body, http.StatusUnauthorized, "invalid_client")
	resp, body = e.postForm("/oauth/revoke", url.Values{"token": {tk.Refresh}}, nil)
	wantOAuthError(t, resp, body, http.StatusUnauthorized, "invalid_client")
	// Bad requests.
	resp, body = e.postForm("/oauth/revoke", url.Values{"client_id": {c.ID}}, nil)
	wantOAuthError(t, resp, body, http.StatusBadRequest, "invalid_request")
	resp, body = e.postForm("/oauth/revoke", url.Values{"client_id": {c.ID}, "token": {"x"}, "pad": {strings.Repeat("p", 70<<10)}}, nil)
	wantOAuthError(t, resp, body, http.StatusRequestEntityTooLarge, "invalid_request")
	req, _ := http.NewRequest(http.MethodPost, e.base+"/oauth/revoke", strings.NewReader(`{"token":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, body = e.do(req)
	wantOAuthError(t, resp, body, http.StatusBadRequest, "invalid_request")
	req, _ = http.NewRequest(http.MethodPost, e.base+"/oauth/revoke", strings.NewReader("token=%zz&client_id="+c.ID))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body = e.do(req)
	wantOAuthError(t, resp, body, http.StatusBadRequest, "invalid_request")
}

func TestRevokeAllAndSubject(t *testing.T) {
	e := newEnv(t, envOptions{mount: echoPrincipal})
	c := e.register(nil)
	a, b := e.login(c), e.login(c)
	code, v := e.codeFor(t, c) // an unredeemed code
	rep, err := e.srv.RevokeAll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Grants != 2 || rep.RefreshTokens != 2 || rep.Codes < 1 {
		t.Fatalf("report %+v", rep)
	}
	for _, tk := range []tokens{a, b} {
		if e.mcpStatus(tk.Access) != http.StatusUnauthorized {
			t.Fatal("access token survived RevokeAll")
		}
		if resp, _ := e.refresh(c, tk.Refresh, nil); resp.StatusCode != 400 {
			t.Fatal("refresh token survived RevokeAll")
		}
	}
	if resp, body := e.exchange(c, code, v, nil); resp.StatusCode != 400 {
		t.Fatalf("code survived RevokeAll: %s", body)
	}
	// Clients stay: a new login works.
	tk := e.login(c)
	if e.mcpStatus(tk.Access) != 200 {
		t.Fatal("login after RevokeAll")
	}
	rep, err = e.srv.RevokeSubject(t.Context(), aliceSub)
	if err != nil || rep.Grants != 1 {
		t.Fatalf("RevokeSubject: %+v %v", rep, err)
	}
	if e.mcpStatus(tk.Access) != http.StatusUnauthorized {
		t.Fatal("access token survived RevokeSubject")
	}
}

func TestRevocationReachesOtherReplicas(t *testing.T) {
	a := newEnv(t, envOptions{mount: echoPrincipal})
	b := newEnv(t, envOptions{mount: echoPrincipal, shareWith: a, store: a.st})
	c := a.register(nil)
	tk := a.login(c)
	if a.mcpStatus(tk.Access) != 200 || b.mcpStatus(tk.Access) != 200 {
		t.Fatal("replicas disagree on a fresh token")
	}
	if resp, _ := a.revoke(c, tk.Refresh, "", nil); resp.StatusCode != 200 {
		t.Fatal("revoke")
	}
	if a.mcpStatus(tk.Access) != http.StatusUnauthorized {
		t.Fatal("revocation not immediate on the instance that made it")
	}
	// b has the token cached; within the poll interval it may still accept it...
	b.clk.Advance(3 * time.Second) // ...but not after it (RevocationPollInterval is 2 s)
	if b.mcpStatus(tk.Access) != http.StatusUnauthorized {
		t.Fatal("revocation did not reach the other replica within the poll interval")
	}
}
