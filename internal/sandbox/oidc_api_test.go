package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAuthenticate(t *testing.T) {
	h := newHarness(t)
	ts, err := h.sb.IssueTokens(alice, webClientID, []string{"openid", "email", scopeDriveRO})
	if err != nil {
		t.Fatal(err)
	}
	good := "Bearer " + ts.AccessToken.Reveal()
	tests := []struct {
		name       string
		header     string
		before     func(t *testing.T)
		anyOf      []string
		wantStatus int // 0 means success
		wantReason string
		wantAuthn  string // substring of WWW-Authenticate
	}{
		{name: "valid token", header: good},
		{name: "valid token with one of the scopes", header: good,
			anyOf: []string{"https://www.googleapis.com/auth/drive", scopeDriveRO}},
		{name: "no header", wantStatus: 401, wantReason: "required", wantAuthn: `Bearer realm="https://accounts.google.com/"`},
		{name: "basic scheme", header: "Basic YWJjOmRlZg==", wantStatus: 401, wantReason: "authError", wantAuthn: `error="invalid_token"`},
		{name: "unknown token", header: "Bearer ya29.sbx-unknown", wantStatus: 401, wantReason: "authError",
			wantAuthn: `error="invalid_token"`},
		{name: "missing scope", header: good, anyOf: []string{scopeGmailRO}, wantStatus: 403,
			wantReason: "insufficientPermissions", wantAuthn: `error="insufficient_scope", scope="` + scopeGmailRO + `"`},
		{name: "expired early", header: good, wantStatus: 401, wantReason: "authError",
			before: func(t *testing.T) {
				if err := h.sb.ExpireAccessTokens(alice); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before(t)
			}
			r := httptest.NewRequest(http.MethodGet, "/drive/v3/files", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			g, err := h.sb.Authenticate(r, tc.anyOf...)
			if tc.wantStatus == 0 {
				if err != nil || g.Email != alice || g.Sub != "109876543210000000001" || g.ClientID != webClientID ||
					!g.HasScope(scopeDriveRO) || !g.Expiry.Equal(h.clock.Now().Add(3599*time.Second)) {
					t.Fatalf("Authenticate = %+v, %v", g, err)
				}
				return
			}
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Status != tc.wantStatus || ae.Reason != tc.wantReason {
				t.Fatalf("err = %v", err)
			}
			rec := httptest.NewRecorder()
			ae.Respond(rec)
			var body struct {
				Error struct {
					Code   int    `json:"code"`
					Status string `json:"status"`
					Errors []struct {
						Reason string `json:"reason"`
					} `json:"errors"`
				} `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			wantStatusText := map[int]string{401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}[tc.wantStatus]
			if rec.Code != tc.wantStatus || body.Error.Code != tc.wantStatus || body.Error.Status != wantStatusText ||
				len(body.Error.Errors) != 1 || body.Error.Errors[0].Reason != tc.wantReason {
				t.Errorf("response %d %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); !strings.Contains(got, tc.wantAuthn) {
				t.Errorf("WWW-Authenticate = %q, want it to contain %q", got, tc.wantAuthn)
			}
		})
	}
	// Expiring access tokens keeps the refresh token: a refresh restores access.
	status, body := h.refreshCall(ts.RefreshToken.Reveal())
	if status != http.StatusOK {
		t.Fatalf("refresh after ExpireAccessTokens: %d %v", status, body)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+str(body, "access_token"))
	if _, err := h.sb.Authenticate(r); err != nil {
		t.Errorf("refreshed token refused: %v", err)
	}
	if err := h.sb.ExpireAccessTokens("ghost@sandbox.example"); err == nil {
		t.Error("ExpireAccessTokens accepted an unknown account")
	}
}

func TestAccessTokensExpireWithTheClock(t *testing.T) {
	h := newHarness(t)
	ts, err := h.sb.IssueTokens(bob, webClientID, []string{scopeDriveRO})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(3598 * time.Second)
	if _, ok := h.sb.AccessTokenInfo(ts.AccessToken.Reveal()); !ok {
		t.Fatal("token dead before expires_in")
	}
	h.clock.Advance(time.Second)
	if _, ok := h.sb.AccessTokenInfo(ts.AccessToken.Reveal()); ok {
		t.Fatal("token alive at expires_in")
	}
}

func TestIssueTokens(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name, email, client string
		scopes              []string
		wantErr             bool
		wantID              bool
	}{
		{"with openid", alice, webClientID, []string{"openid", "email"}, false, true},
		{"without openid", alice, webClientID, []string{scopeDriveRO}, false, false},
		{"unknown account", "ghost@sandbox.example", webClientID, []string{scopeDriveRO}, true, false},
		{"unknown client", alice, "ghost", []string{scopeDriveRO}, true, false},
		{"invalid scope", alice, webClientID, []string{"drive"}, true, false},
		{"no scope", alice, webClientID, nil, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := h.sb.IssueTokens(tc.email, tc.client, tc.scopes)
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ts.AccessToken.IsZero() || ts.RefreshToken.IsZero() || ts.IDToken.IsZero() != !tc.wantID {
				t.Fatalf("token set %+v", ts)
			}
			if fmt.Sprint(ts) == "" || strings.Contains(fmt.Sprintf("%+v", ts), ts.AccessToken.Reveal()) {
				t.Error("TokenSet prints its access token")
			}
			if tc.wantID {
				if _, err := h.verifier(webClientID).Verify(h.ctx(), ts.IDToken.Reveal()); err != nil {
					t.Errorf("ID token: %v", err)
				}
			}
			if status, body := h.refreshCall(ts.RefreshToken.Reveal()); status != http.StatusOK {
				t.Errorf("refresh: %d %v", status, body)
			}
		})
	}
}

func TestRefreshTokenLimitPerClient(t *testing.T) {
	h := newHarness(t)
	var first string
	for i := range maxRefreshTokens + 1 {
		ts, err := h.sb.IssueTokens("carol@sandbox.example", webClientID, []string{scopeDriveRO})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = ts.RefreshToken.Reveal()
		}
	}
	status, body := h.refreshCall(first)
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
}

func TestUserinfoFollowsScopes(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name       string
		email      string
		scopes     []string
		wantStatus int
		want       map[string]any
		absent     []string
	}{
		{"openid only", alice, []string{"openid"}, 200,
			map[string]any{"sub": "109876543210000000001", "hd": "sandbox.example"}, []string{"email", "name"}},
		{"email", alice, []string{"openid", "email"}, 200,
			map[string]any{"email": alice, "email_verified": true}, []string{"name"}},
		{"profile", alice, []string{"profile"}, 200,
			map[string]any{"name": "Alice Martin", "given_name": "Alice", "family_name": "Martin"}, []string{"email"}},
		{"consumer account has no hd", "dave@consumer.example", []string{"openid", "email"}, 200,
			map[string]any{"email": "dave@consumer.example"}, []string{"hd"}},
		{"no identity scope", alice, []string{scopeDriveRO}, 403, map[string]any{"error": "insufficient_scope"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := h.sb.IssueTokens(tc.email, webClientID, tc.scopes)
			if err != nil {
				t.Fatal(err)
			}
			status, body, _ := h.bearerGet(string(EndpointUserinfo), ts.AccessToken.Reveal())
			if status != tc.wantStatus {
				t.Fatalf("status %d: %v", status, body)
			}
			for k, v := range tc.want {
				if body[k] != v {
					t.Errorf("%s = %v, want %v", k, body[k], v)
				}
			}
			for _, k := range tc.absent {
				if _, has := body[k]; has {
					t.Errorf("%s present", k)
				}
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		status, body, hdr := h.bearerGet(string(EndpointUserinfo), "")
		wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_request", "Invalid Credentials")
		if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate = %q", hdr.Get("WWW-Authenticate"))
		}
	})
}

func TestTokeninfo(t *testing.T) {
	h := newHarness(t)
	ts, err := h.sb.IssueTokens(alice, webClientID, []string{"openid", "email", scopeDriveRO})
	if err != nil {
		t.Fatal(err)
	}
	now := h.clock.Now()
	tests := []struct {
		name       string
		query      url.Values
		wantStatus int
		want       map[string]any
	}{
		{"access token", url.Values{"access_token": {ts.AccessToken.Reveal()}}, 200, map[string]any{
			"aud": webClientID, "azp": webClientID, "sub": "109876543210000000001", "email": alice,
			"email_verified": "true", "expires_in": "3599", "access_type": "offline",
			"exp":   fmt.Sprint(now.Add(3599 * time.Second).Unix()),
			"scope": "https://www.googleapis.com/auth/drive.readonly https://www.googleapis.com/auth/userinfo.email openid"}},
		{"id token", url.Values{"id_token": {ts.IDToken.Reveal()}}, 200, map[string]any{
			"aud": webClientID, "iss": h.srv.URL, "email": alice, "email_verified": "true", "alg": "RS256",
			"iat": fmt.Sprint(now.Unix())}},
		{"bad access token", url.Values{"access_token": {"ya29.nope"}}, 400, map[string]any{"error": "invalid_token"}},
		{"tampered id token", url.Values{"id_token": {ts.IDToken.Reveal() + "x"}}, 400, map[string]any{"error": "invalid_token"}},
		{"nothing", url.Values{}, 400, map[string]any{"error": "invalid_request"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := h.bearerGet(string(EndpointTokeninfo)+"?"+tc.query.Encode(), "")
			if status != tc.wantStatus {
				t.Fatalf("status %d: %v", status, body)
			}
			for k, v := range tc.want {
				if body[k] != v {
					t.Errorf("%s = %v, want %v", k, body[k], v)
				}
			}
		})
	}
}

func TestJWKSPublishesTheSigningKey(t *testing.T) {
	h := newHarness(t)
	status, body, hdr := h.bearerGet(string(EndpointJWKS), "")
	keys, _ := body["keys"].([]any)
	if status != http.StatusOK || len(keys) != 1 || !strings.Contains(hdr.Get("Cache-Control"), "max-age") {
		t.Fatalf("status %d, body %v", status, body)
	}
	k := keys[0].(map[string]any)
	if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || len(str(k, "kid")) != 40 || k["d"] != nil {
		t.Errorf("key %v", k)
	}
}

func TestRevokeEndpointRequests(t *testing.T) {
	h := newHarness(t)
	ts, err := h.sb.IssueTokens(alice, webClientID, []string{scopeDriveRO})
	if err != nil {
		t.Fatal(err)
	}
	status, body := h.postForm(string(EndpointRevoke), url.Values{})
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request", "")
	// The legacy GET form with the token in the query still works at Google.
	status, body, _ = h.bearerGet(string(EndpointRevoke)+"?token="+url.QueryEscape(ts.RefreshToken.Reveal()), "")
	if status != http.StatusOK {
		t.Fatalf("GET revoke: %d %v", status, body)
	}
	if _, ok := h.sb.AccessTokenInfo(ts.AccessToken.Reveal()); ok {
		t.Error("access token of a revoked refresh token still valid")
	}
}

func TestAccountsAndClients(t *testing.T) {
	h := newHarness(t)
	if got := len(h.sb.Accounts()); got != 4 {
		t.Errorf("%d demo accounts", got)
	}
	robot := Account{Sub: "117000000000000000009", Email: "robot@project.iam.gserviceaccount.com"}
	tests := []struct {
		name string
		call func() error
		ok   bool
	}{
		{"add service account", func() error { return h.sb.AddAccount(robot) }, true},
		{"duplicate email", func() error { return h.sb.AddAccount(Account{Sub: "1", Email: "ALICE@sandbox.example"}) }, false},
		{"duplicate sub", func() error { return h.sb.AddAccount(Account{Sub: robot.Sub, Email: "x@y.example"}) }, false},
		{"account without sub", func() error { return h.sb.AddAccount(Account{Email: "x@y.example"}) }, false},
		{"client without id", func() error { return h.sb.AddClient(Client{RedirectURIs: []string{webRedirect}}) }, false},
		{"web client without redirect", func() error { return h.sb.AddClient(Client{ID: "c"}) }, false},
		{"relative redirect", func() error { return h.sb.AddClient(Client{ID: "c", RedirectURIs: []string{"/cb"}}) }, false},
		{"public desktop client", func() error { return h.sb.AddClient(Client{ID: "pub", Desktop: true}) }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); (err == nil) != tc.ok {
				t.Errorf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if a, ok := h.sb.LookupAccount("Alice@Sandbox.Example"); !ok || a.Sub != "109876543210000000001" {
		t.Errorf("LookupAccount by email = %+v, %v", a, ok)
	}
	if a, ok := h.sb.LookupAccount(robot.Sub); !ok || a.Email != robot.Email {
		t.Errorf("LookupAccount by sub = %+v, %v", a, ok)
	}
	if _, err := h.sb.MintIDToken(robot.Email, "https://gwmcp.test", 0); err != nil {
		t.Errorf("MintIDToken for an added account: %v", err)
	}
}

// TestNoSecretInLogs runs a full flow and checks that no token, code or
// client secret reaches the log.
func TestNoSecretInLogs(t *testing.T) {
	h := newHarness(t)
	code := h.code(url.Values{"access_type": {"offline"}})
	_, body := h.exchange(code, nil)
	h.exchange(code, nil) // a refused reuse is logged too
	h.refreshCall(str(body, "refresh_token"))
	h.postForm(string(EndpointRevoke), url.Values{"token": {str(body, "refresh_token")}})
	logs := h.logs.String()
	if !strings.Contains(logs, "code exchanged") {
		t.Fatalf("expected log lines, got %q", logs)
	}
	for _, s := range []string{code, str(body, "access_token"), str(body, "refresh_token"), str(body, "id_token"), webSecret} {
		if s == "" || strings.Contains(logs, s) {
			t.Errorf("secret %q missing from the flow or present in logs", s)
		}
	}
}

// TestConcurrentUse hammers the sandbox from many goroutines; run with -race.
func TestConcurrentUse(t *testing.T) {
	h := newHarness(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			email := []string{alice, bob}[i%2]
			ts, err := h.sb.IssueTokens(email, webClientID, []string{"openid", scopeDriveRO})
			if err != nil {
				t.Error(err)
				return
			}
			for range 5 {
				if status, body := h.refreshCall(ts.RefreshToken.Reveal()); status != http.StatusOK {
					t.Errorf("refresh: %d %v", status, body)
				}
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("Authorization", "Bearer "+ts.AccessToken.Reveal())
				_, _ = h.sb.Authenticate(r)
				_ = h.sb.Stats()
			}
			resp, err := h.browser.Get(h.authURL(url.Values{"login_hint": {email}}))
			if err != nil || resp.StatusCode != http.StatusFound {
				t.Errorf("authorize: %v", err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	if st := h.sb.Stats(); st.Refreshes != 40 || st.Authorizations != 8 {
		t.Errorf("stats %+v", st)
	}
}
