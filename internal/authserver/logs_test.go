package authserver

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestNoSecretsInLogs runs every endpoint with a confidential client and checks that no
// code, token, secret, verifier or cookie value reached the log.
func TestNoSecretsInLogs(t *testing.T) {
	e := newEnv(t, envOptions{mount: echoPrincipal})
	c := e.register(map[string]any{"token_endpoint_auth_method": "client_secret_post"})
	var secrets []string
	secrets = append(secrets, c.Secret, c.RegToken, upstreamSecret)

	b := e.newBrowser()
	v, ch := pkce()
	loc := b.run(e.authURL(c.ID, clientRedirect, ch, nil))
	code := loc.Query().Get("code")
	secrets = append(secrets, code, v)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v},
		"redirect_uri": {clientRedirect}, "client_id": {c.ID}, "client_secret": {c.Secret}}
	resp, body := e.postForm("/oauth/token", form, nil)
	tk := parseTokens(t, resp, body)
	secrets = append(secrets, tk.Access, tk.Refresh)
	// Reuse the code (a warning is logged) and refresh twice (reuse detection).
	e.postForm("/oauth/token", form, nil)
	tk = e.login2(c, b)
	secrets = append(secrets, tk.Access, tk.Refresh)
	resp, body = e.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.Refresh},
		"client_id": {c.ID}, "client_secret": {c.Secret}}, nil)
	next := parseTokens(t, resp, body)
	secrets = append(secrets, next.Access, next.Refresh)
	e.callMCP("Bearer "+next.Access, "{}")
	e.callMCP("Bearer "+tk.Refresh, "{}")
	e.postForm("/oauth/revoke", url.Values{"token": {next.Refresh}, "client_id": {c.ID}, "client_secret": {c.Secret}}, nil)
	e.postForm("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {c.ID},
		"client_secret": {c.Secret + "x"}, "code_verifier": {v}}, nil)
	req, _ := http.NewRequest(http.MethodGet, c.RegURI, nil)
	req.Header.Set("Authorization", "Bearer "+c.RegToken)
	e.do(req)

	for _, ck := range b.c.Jar.Cookies(mustURL(e.base)) {
		secrets = append(secrets, ck.Value)
	}
	for _, l := range e.accounts.logins {
		secrets = append(secrets, l.Tokens.AccessToken.Reveal(), l.Tokens.RefreshToken.Reveal(), l.Tokens.IDToken.Reveal())
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "authorization code reused") || !strings.Contains(logs, "tokens issued") {
		t.Fatalf("the log lacks the expected events:\n%s", logs)
	}
	for _, s := range secrets {
		if len(s) < 8 {
			continue
		}
		if strings.Contains(logs, s) {
			t.Errorf("a secret (%s...) is in the log", s[:6])
		}
	}
}

// login2 logs in again with a browser that approved the client before.
func (e *env) login2(c registered, b *browser) tokens {
	e.t.Helper()
	v, ch := pkce()
	code := e.codeFrom(e.t, b.run(e.authURL(c.ID, clientRedirect, ch, nil)))
	resp, body := e.postForm("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {v}, "redirect_uri": {clientRedirect}, "client_id": {c.ID}, "client_secret": {c.Secret}}, nil)
	return parseTokens(e.t, resp, body)
}
