package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestTokenEndpointStrictness exchanges codes in every way Google refuses.
func TestTokenEndpointStrictness(t *testing.T) {
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-more"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	pkce := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}

	tests := []struct {
		name string
		auth url.Values // extra authorization parameters
		// run exchanges the code and returns the final answer
		run        func(h *harness, code string) (int, map[string]any, http.Header)
		wantStatus int
		wantError  string
		wantDesc   string
	}{
		{
			name: "good exchange", auth: pkce,
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				return h.tokenCall(url.Values{"grant_type": {"authorization_code"}, "code": {code},
					"redirect_uri": {webRedirect}, "code_verifier": {verifier}}, &[2]string{webClientID, webSecret})
			},
			wantStatus: 200,
		},
		{
			name: "wrong redirect_uri",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				s, b := h.exchange(code, url.Values{"redirect_uri": {webRedirect + "/other"}})
				return s, b, nil
			},
			wantStatus: 400, wantError: "redirect_uri_mismatch",
		},
		{
			name: "missing redirect_uri",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				s, b := h.exchange(code, url.Values{"redirect_uri": {""}})
				return s, b, nil
			},
			wantStatus: 400, wantError: "invalid_request", wantDesc: "Missing required parameter: redirect_uri",
		},
		{
			name: "missing code",
			run: func(h *harness, _ string) (int, map[string]any, http.Header) {
				s, b := h.exchange("", nil)
				return s, b, nil
			},
			wantStatus: 400, wantError: "invalid_request", wantDesc: "Missing required parameter: code",
		},
		{
			name: "reused code",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				if s, b := h.exchange(code, nil); s != 200 {
					h.t.Fatalf("first exchange: %d %v", s, b)
				}
				s, b := h.exchange(code, nil)
				return s, b, nil
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "code after a failed exchange",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				h.exchange(code, url.Values{"redirect_uri": {webRedirect + "/x"}})
				s, b := h.exchange(code, nil)
				return s, b, nil
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "code expired after 10 minutes",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				h.clock.Advance(10 * time.Minute)
				s, b := h.exchange(code, nil)
				return s, b, nil
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "code still good just before 10 minutes",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				h.clock.Advance(10*time.Minute - time.Second)
				s, b := h.exchange(code, nil)
				return s, b, nil
			},
			wantStatus: 200,
		},
		{
			name: "wrong PKCE verifier", auth: pkce,
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				s, b := h.exchange(code, url.Values{"code_verifier": {strings.Repeat("x", 43)}})
				return s, b, nil
			},
			wantStatus: 400, wantError: "invalid_grant", wantDesc: "Invalid code verifier.",
		},
		{
			name: "plain verifier against an S256 challenge", auth: pkce,
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				s, b := h.exchange(code, url.Values{"code_verifier": {challenge}})
				return s, b, nil
			},
			wantStatus: 400, wantError: "invalid_grant", wantDesc: "Invalid code verifier.",
		},
		{
			name: "missing verifier when a challenge was given", auth: pkce,
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				s, b := h.exchange(code, nil)
				return s, b, nil
			},
			wantStatus: 400, wantError: "invalid_grant", wantDesc: "Missing code verifier.",
		},
		{
			name: "verifier without a challenge",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				s, b := h.exchange(code, url.Values{"code_verifier": {verifier}})
				return s, b, nil
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "wrong client secret in the body",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				s, b := h.exchange(code, url.Values{"client_secret": {"GOCSPX-wrong"}})
				return s, b, nil
			},
			wantStatus: 401, wantError: "invalid_client", wantDesc: "Unauthorized",
		},
		{
			name: "wrong client secret in Basic",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				return h.tokenCall(url.Values{"grant_type": {"authorization_code"}, "code": {code},
					"redirect_uri": {webRedirect}}, &[2]string{webClientID, "GOCSPX-wrong"})
			},
			wantStatus: 401, wantError: "invalid_client", wantDesc: "Unauthorized",
		},
		{
			name: "missing client secret",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				s, b := h.exchange(code, url.Values{"client_secret": {""}})
				return s, b, nil
			},
			wantStatus: 401, wantError: "invalid_client",
		},
		{
			name: "unknown client",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				s, b := h.exchange(code, url.Values{"client_id": {"ghost.apps.googleusercontent.com"}})
				return s, b, nil
			},
			wantStatus: 401, wantError: "invalid_client", wantDesc: "The OAuth client was not found.",
		},
		{
			name: "no client at all",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				s, b := h.exchange(code, url.Values{"client_id": {""}, "client_secret": {""}})
				return s, b, nil
			},
			wantStatus: 400, wantError: "invalid_request",
		},
		{
			name: "code of another client",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				return h.tokenCall(url.Values{"grant_type": {"authorization_code"}, "code": {code},
					"redirect_uri": {otherRedirect}, "client_id": {otherClientID}, "client_secret": {otherSecret}}, nil)
			},
			wantStatus: 400, wantError: "invalid_grant",
		},
		{
			name: "unsupported grant type",
			run: func(h *harness, code string) (int, map[string]any, http.Header) {
				s, b := h.exchange(code, url.Values{"grant_type": {"password"}})
				return s, b, nil
			},
			wantStatus: 400, wantError: "unsupported_grant_type", wantDesc: "Invalid grant_type: password",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			status, body, hdr := tc.run(h, h.code(tc.auth))
			if tc.wantError == "" {
				if status != tc.wantStatus || str(body, "access_token") == "" {
					t.Fatalf("got %d %v", status, body)
				}
				return
			}
			wantOAuthError(t, status, body, tc.wantStatus, tc.wantError, tc.wantDesc)
			if hdr != nil && hdr.Get("Cache-Control") == "" {
				t.Error("no Cache-Control on a token answer")
			}
			if st := h.sb.Stats(); st.TokenErrors == 0 {
				t.Errorf("TokenErrors not counted: %+v", st)
			}
		})
	}
}

func TestCodeOfAnotherClientStaysUsableByItsOwner(t *testing.T) {
	h := newHarness(t)
	code := h.code(nil)
	h.tokenCall(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {otherRedirect},
		"client_id": {otherClientID}, "client_secret": {otherSecret}}, nil)
	if status, body := h.exchange(code, nil); status != http.StatusOK {
		t.Fatalf("owner exchange after a foreign attempt: %d %v", status, body)
	}
}

// TestRefreshTokenIssuance follows Google's rule: a refresh token comes only
// with access_type=offline, and only when consent is given (first time, new
// scopes, or prompt=consent).
func TestRefreshTokenIssuance(t *testing.T) {
	offline := url.Values{"access_type": {"offline"}}
	tests := []struct {
		name   string
		before []url.Values // earlier authorizations by alice
		revoke bool         // revoke the grant before the last authorization
		last   url.Values
		want   bool
	}{
		{name: "online first consent", last: url.Values{}, want: false},
		{name: "explicit online", last: url.Values{"access_type": {"online"}}, want: false},
		{name: "offline first consent", last: offline, want: true},
		{name: "offline again without prompt", before: []url.Values{offline}, last: offline, want: false},
		{name: "offline again with prompt=consent", before: []url.Values{offline},
			last: url.Values{"access_type": {"offline"}, "prompt": {"consent"}}, want: true},
		{name: "offline after online consent", before: []url.Values{{}}, last: offline, want: false},
		{name: "offline with a new scope", before: []url.Values{offline},
			last: url.Values{"access_type": {"offline"}, "scope": {"openid " + scopeGmailRO}}, want: true},
		{name: "offline after revocation", before: []url.Values{offline}, revoke: true, last: offline, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var last map[string]any
			for _, p := range tc.before {
				_, last = h.exchange(h.code(p), nil)
			}
			if tc.revoke {
				h.postForm(string(EndpointRevoke), url.Values{"token": {str(last, "access_token")}})
			}
			status, body := h.exchange(h.code(tc.last), nil)
			if status != http.StatusOK {
				t.Fatalf("exchange: %d %v", status, body)
			}
			if got := str(body, "refresh_token") != ""; got != tc.want {
				t.Errorf("refresh token issued = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRefreshGrant(t *testing.T) {
	h := newHarness(t)
	_, first := h.exchange(h.code(url.Values{"access_type": {"offline"},
		"scope": {"openid email " + scopeDriveRO}, "nonce": {"abc"}}), nil)
	rt := str(first, "refresh_token")

	h.clock.Advance(2 * time.Hour)
	if _, ok := h.sb.AccessTokenInfo(str(first, "access_token")); ok {
		t.Fatal("access token alive after 2h")
	}
	status, body := h.refreshCall(rt)
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, body)
	}
	if _, has := body["refresh_token"]; has {
		t.Error("a refresh answer carried a refresh token; Google never does")
	}
	if str(body, "scope") != str(first, "scope") || body["expires_in"] != float64(3599) || str(body, "token_type") != "Bearer" {
		t.Errorf("refresh answer %v", body)
	}
	idt, err := h.verifier(webClientID).Verify(h.ctx(), str(body, "id_token"))
	if err != nil || idt.Nonce != "" || !idt.IssuedAt.Equal(h.clock.Now()) {
		t.Errorf("refreshed ID token: %v, nonce %q", err, idt.Nonce)
	}

	t.Run("narrowed scope", func(t *testing.T) {
		status, body, _ := h.tokenCall(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
			"scope": {scopeDriveRO}, "client_id": {webClientID}, "client_secret": {webSecret}}, nil)
		if status != http.StatusOK || str(body, "scope") != scopeDriveRO || body["id_token"] != nil {
			t.Errorf("got %d %v", status, body)
		}
		status, body, _ = h.tokenCall(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
			"scope": {scopeGmailRO}, "client_id": {webClientID}, "client_secret": {webSecret}}, nil)
		wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_scope", "")
	})
	t.Run("another client", func(t *testing.T) {
		status, body, _ := h.tokenCall(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
			"client_id": {otherClientID}, "client_secret": {otherSecret}}, nil)
		wantOAuthError(t, status, body, http.StatusUnauthorized, "unauthorized_client", "")
	})
	t.Run("unknown token", func(t *testing.T) {
		status, body := h.refreshCall("1//sbx-made-up")
		wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
	})
	t.Run("missing token", func(t *testing.T) {
		status, body := h.refreshCall("")
		wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request", "")
	})
	t.Run("RevokeAll", func(t *testing.T) {
		if err := h.sb.RevokeAll(alice); err != nil {
			t.Fatal(err)
		}
		status, body := h.refreshCall(rt)
		wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
		if err := h.sb.RevokeAll("ghost@sandbox.example"); err == nil {
			t.Error("RevokeAll accepted an unknown account")
		}
	})
}

func TestIncludeGrantedScopes(t *testing.T) {
	tests := []struct {
		name    string
		include string
		want    string
	}{
		{"merged", "true", "https://www.googleapis.com/auth/drive.readonly https://www.googleapis.com/auth/gmail.readonly openid"},
		{"not merged", "", "https://www.googleapis.com/auth/gmail.readonly openid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.exchange(h.code(url.Values{"scope": {"openid " + scopeDriveRO}}), nil)
			// Bob's grant must never leak into alice's.
			h.exchange(h.code(url.Values{"scope": {"openid " + scopeDriveRO + " email"}, "login_hint": {bob}}), nil)
			code := h.code(url.Values{"scope": {"openid " + scopeGmailRO}, "include_granted_scopes": {tc.include},
				"access_type": {"offline"}})
			_, body := h.exchange(code, nil)
			if got := str(body, "scope"); got != tc.want {
				t.Errorf("scope = %q, want %q", got, tc.want)
			}
			_, refreshed := h.refreshCall(str(body, "refresh_token"))
			if got := str(refreshed, "scope"); got != tc.want {
				t.Errorf("refreshed scope = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestScriptedFailures(t *testing.T) {
	tests := []struct {
		name       string
		script     func(sb *Sandbox)
		wantStatus int
		wantError  string
		retryAfter string
	}{
		{"503", func(sb *Sandbox) { sb.FailNext(EndpointToken, 503, 2) }, 503, "temporarily_unavailable", ""},
		{"429 with Retry-After", func(sb *Sandbox) {
			sb.ScriptFailures(EndpointToken, 2, Failure{Status: 429, RetryAfter: 30 * time.Second})
		}, 429, "rate_limit_exceeded", "30"},
		{"500 with a custom body", func(sb *Sandbox) {
			sb.ScriptFailures(EndpointToken, 2, Failure{Status: 500, Error: "internal_failure", Description: "boom"})
		}, 500, "internal_failure", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			ts, err := h.sb.IssueTokens(alice, webClientID, []string{scopeDriveRO})
			if err != nil {
				t.Fatal(err)
			}
			tc.script(h.sb)
			for range 2 {
				status, body, hdr := h.tokenCall(url.Values{"grant_type": {"refresh_token"},
					"refresh_token": {ts.RefreshToken.Reveal()}, "client_id": {webClientID}, "client_secret": {webSecret}}, nil)
				wantOAuthError(t, status, body, tc.wantStatus, tc.wantError, "")
				if got := hdr.Get("Retry-After"); got != tc.retryAfter {
					t.Errorf("Retry-After = %q, want %q", got, tc.retryAfter)
				}
			}
			// x/oauth2 sees the third call succeed.
			conf := &oauth2.Config{ClientID: webClientID, ClientSecret: webSecret, Endpoint: h.provider().Endpoint()}
			if _, err := conf.TokenSource(h.ctx(), &oauth2.Token{RefreshToken: ts.RefreshToken.Reveal()}).Token(); err != nil {
				t.Fatalf("third refresh: %v", err)
			}
			if st := h.sb.Stats(); st.ScriptedFailures != 2 || st.Refreshes != 1 || st.TokenErrors != 2 {
				t.Errorf("stats %+v", st)
			}
		})
	}

	t.Run("x/oauth2 surfaces the error", func(t *testing.T) {
		h := newHarness(t)
		h.sb.FailNext(EndpointToken, http.StatusServiceUnavailable, 1)
		ep := h.provider().Endpoint()
		// Auto-detection would retry with the other auth style and succeed.
		ep.AuthStyle = oauth2.AuthStyleInHeader
		conf := &oauth2.Config{ClientID: webClientID, ClientSecret: webSecret, Endpoint: ep, RedirectURL: webRedirect}
		_, err := conf.Exchange(h.ctx(), h.code(nil))
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.Response.StatusCode != 503 || re.ErrorCode != "temporarily_unavailable" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("authorize page", func(t *testing.T) {
		h := newHarness(t)
		h.sb.FailNext(EndpointAuthorize, http.StatusServiceUnavailable, 1)
		if resp := h.get(h.authURL(url.Values{"login_hint": {alice}})); resp.StatusCode != 503 || resp.Header.Get("Location") != "" {
			t.Errorf("status %d", resp.StatusCode)
		}
		h.code(nil)
	})
}
