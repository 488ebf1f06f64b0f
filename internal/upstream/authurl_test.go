package upstream

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestAuthCodeURLParameters(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	_, challenge := h.pkce()
	base := AuthRequest{State: "st-1", Nonce: "n-1", CodeChallenge: challenge}
	tests := []struct {
		name  string
		edit  func(*AuthRequest)
		want  map[string]string // "" value = must be absent
		scope []string          // scope must equal
	}{
		{"minimal", func(*AuthRequest) {}, map[string]string{
			"response_type": "code", "client_id": webClientID, "redirect_uri": webRedirect,
			"state": "st-1", "nonce": "n-1", "code_challenge": challenge, "code_challenge_method": "S256",
			"access_type": "", "prompt": "", "include_granted_scopes": "", "login_hint": "",
		}, []string{"openid", "email", "profile"}},
		{"everything", func(r *AuthRequest) {
			r.Scopes = []string{scopeDriveRO, "openid", "https://www.googleapis.com/auth/gmail.readonly"}
			r.LoginHint = alice
			r.Offline, r.ForceConsent, r.SelectAccount, r.IncludeGrantedScopes = true, true, true, true
		}, map[string]string{
			"access_type": "offline", "prompt": "consent select_account", "include_granted_scopes": "true",
			"login_hint": alice, "code_challenge_method": "S256",
		}, []string{"openid", "email", "profile", scopeDriveRO, "https://www.googleapis.com/auth/gmail.readonly"}},
		{"consent only", func(r *AuthRequest) { r.ForceConsent = true }, map[string]string{"prompt": "consent"}, nil},
		{"select account only", func(r *AuthRequest) { r.SelectAccount = true },
			map[string]string{"prompt": "select_account"}, nil},
		{"no nonce", func(r *AuthRequest) { r.Nonce = "" }, map[string]string{"nonce": ""}, nil},
		{"redirect override", func(r *AuthRequest) { r.RedirectURL = "http://127.0.0.1:51234/callback" },
			map[string]string{"redirect_uri": "http://127.0.0.1:51234/callback"}, nil},
		{"blank scopes skipped", func(r *AuthRequest) { r.Scopes = []string{"", " "} }, nil,
			[]string{"openid", "email", "profile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.edit(&r)
			raw, err := p.AuthCodeURL(t.Context(), r)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Scheme + "://" + u.Host + u.Path; got != h.srv.URL+"/o/oauth2/v2/auth" {
				t.Errorf("endpoint = %s", got)
			}
			q := u.Query()
			for k, want := range tt.want {
				if want == "" {
					if q.Has(k) {
						t.Errorf("%s = %q, want absent", k, q.Get(k))
					}
					continue
				}
				if q.Get(k) != want {
					t.Errorf("%s = %q, want %q", k, q.Get(k), want)
				}
			}
			if tt.scope != nil && !slices.Equal(strings.Fields(q.Get("scope")), tt.scope) {
				t.Errorf("scope = %q, want %q", q.Get("scope"), tt.scope)
			}
			if q.Has("client_secret") || strings.Contains(raw, webSecret) {
				t.Errorf("the client secret is in the URL: %s", raw)
			}
		})
	}
}

func TestAuthCodeURLRefusesBadRequests(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	noRedirect := h.provider(func(c *Config) { c.RedirectURL = "" })
	verifier, challenge := h.pkce()
	tests := []struct {
		name string
		p    *Provider
		r    AuthRequest
	}{
		{"no state", p, AuthRequest{CodeChallenge: challenge}},
		{"no challenge", p, AuthRequest{State: "s"}},
		{"challenge of the wrong length", p, AuthRequest{State: "s", CodeChallenge: verifier + "abcdefg"}},
		{"challenge with bad characters", p, AuthRequest{State: "s", CodeChallenge: strings.Repeat("+", 43)}},
		{"scope with space", p, AuthRequest{State: "s", CodeChallenge: challenge, Scopes: []string{"a b"}}},
		{"bad redirect override", p, AuthRequest{State: "s", CodeChallenge: challenge, RedirectURL: "/relative"}},
		{"no redirect at all", noRedirect, AuthRequest{State: "s", CodeChallenge: challenge}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := tt.p.AuthCodeURL(t.Context(), tt.r)
			h.leaks.err(err)
			if !errors.Is(err, ErrRejected) || u != "" {
				t.Fatalf("AuthCodeURL = %q, %v; want ErrRejected", u, err)
			}
		})
	}
	// None of these needed the network.
	if n := h.hitCount("/.well-known/openid-configuration"); n != 0 {
		t.Errorf("invalid requests triggered %d discoveries", n)
	}
}

func TestMergeScopes(t *testing.T) {
	got, err := mergeScopes([]string{scopeDriveRO, "email", scopeDriveRO, " openid "})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"openid", "email", "profile", scopeDriveRO}
	if !slices.Equal(got, want) {
		t.Errorf("mergeScopes = %q, want %q", got, want)
	}
}
