package upstream

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/secret"
)

func TestFullFlow(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	code, verifier := h.login(p, AuthRequest{State: "st", Nonce: "nonce-1", Scopes: []string{scopeDriveRO},
		Offline: true, LoginHint: alice})
	tks, err := p.Exchange(t.Context(), code, verifier, "nonce-1", "")
	h.remember(tks)
	if err != nil {
		t.Fatalf("Exchange: %v", h.leaks.err(err))
	}
	want := Identity{Subject: aliceSub, Email: alice, EmailVerified: true, HostedDomain: "sandbox.example",
		Name: "Alice Martin"}
	if tks.Identity != want {
		t.Errorf("Identity = %+v, want %+v", tks.Identity, want)
	}
	wantScopes := []string{scopeDriveRO, "openid", scopeEmailURL, scopeProfileURL}
	for _, s := range wantScopes {
		if !slices.Contains(tks.Scopes, s) {
			t.Errorf("Scopes = %q, missing %s", tks.Scopes, s)
		}
	}
	if tks.AccessToken.IsZero() || tks.RefreshToken.IsZero() || tks.IDToken.IsZero() {
		t.Errorf("missing tokens: access %v refresh %v id %v",
			!tks.AccessToken.IsZero(), !tks.RefreshToken.IsZero(), !tks.IDToken.IsZero())
	}
	if tks.TokenType != "Bearer" {
		t.Errorf("TokenType = %q", tks.TokenType)
	}
	if want := h.clock.Now().Add(3599 * time.Second); !tks.Expiry.Equal(want) {
		t.Errorf("Expiry = %v, want %v (from the injected clock)", tks.Expiry, want)
	}
	// The access token works at the provider.
	if g, ok := h.sb.AccessTokenInfo(tks.AccessToken.Reveal()); !ok || g.Email != alice {
		t.Errorf("sandbox does not know the access token: %+v %v", g, ok)
	}

	// Codes are single-use.
	_, err = p.Exchange(t.Context(), code, verifier, "nonce-1", "")
	if !errors.Is(h.leaks.err(err), ErrInvalidGrant) {
		t.Errorf("second exchange = %v, want ErrInvalidGrant", err)
	}
}

func TestExchangeRefusals(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	tests := []struct {
		name string
		run  func(code, verifier string) error
		want error
	}{
		{"wrong verifier", func(code, _ string) error {
			v, _ := h.pkce()
			_, err := p.Exchange(t.Context(), code, v, "", "")
			return err
		}, ErrInvalidGrant},
		{"unknown code", func(_, verifier string) error {
			_, err := p.Exchange(t.Context(), "4/0sbx-made-up", verifier, "", "")
			return err
		}, ErrInvalidGrant},
		{"redirect mismatch", func(code, verifier string) error {
			_, err := p.Exchange(t.Context(), code, verifier, "", "https://gwmcp.test/other")
			return err
		}, ErrInvalidClient},
		{"wrong client secret", func(code, verifier string) error {
			bad := h.provider(func(c *Config) { c.ClientSecret = secret.New("GOCSPX-wrong-secret") })
			h.leaks.secret("GOCSPX-wrong-secret")
			_, err := bad.Exchange(t.Context(), code, verifier, "", "")
			return err
		}, ErrInvalidClient},
		{"unknown client", func(code, verifier string) error {
			bad := h.provider(func(c *Config) { c.ClientID = "nobody.apps.googleusercontent.com" })
			_, err := bad.Exchange(t.Context(), code, verifier, "", "")
			return err
		}, ErrInvalidClient},
		{"wrong nonce", func(code, verifier string) error {
			_, err := p.Exchange(t.Context(), code, verifier, "another-nonce", "")
			return err
		}, ErrInvalidIDToken},
		{"empty code", func(_, verifier string) error {
			_, err := p.Exchange(t.Context(), "", verifier, "", "")
			return err
		}, ErrRejected},
		{"short verifier", func(code, _ string) error {
			_, err := p.Exchange(t.Context(), code, "short", "", "")
			return err
		}, ErrRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, verifier := h.login(p, AuthRequest{Nonce: "nonce-1"})
			err := h.leaks.err(tt.run(code, verifier))
			t.Log(err)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Op != "exchange" {
				t.Errorf("err = %#v, want *Error with Op exchange", err)
			}
		})
	}
}

func TestExchangeWithRedirectOverride(t *testing.T) {
	h := newHarness(t)
	p := h.provider(func(c *Config) {
		c.ClientID, c.ClientSecret = desktopClientID, secret.New(desktopSecret)
	})
	loopback := "http://127.0.0.1:49152/callback"
	code, verifier := h.login(p, AuthRequest{RedirectURL: loopback})
	tks, err := p.Exchange(t.Context(), code, verifier, "", loopback)
	h.remember(tks)
	if err != nil {
		t.Fatalf("Exchange: %v", h.leaks.err(err))
	}
	if tks.Identity.Email != alice {
		t.Errorf("Identity = %+v", tks.Identity)
	}
	// Without the override the configured redirect is sent, which does not
	// match the one the code is bound to.
	code, verifier = h.login(p, AuthRequest{RedirectURL: loopback})
	_, err = p.Exchange(t.Context(), code, verifier, "", "")
	if !errors.Is(h.leaks.err(err), ErrInvalidClient) {
		t.Errorf("exchange without the override = %v, want ErrInvalidClient (redirect_uri_mismatch)", err)
	}
}

func TestRefreshKeepsRefreshToken(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	ts := h.issue(scopeDriveRO)
	h.clock.Advance(10 * time.Minute)
	h.sbClock.Advance(10 * time.Minute)
	tks, err := p.Refresh(t.Context(), ts.RefreshToken)
	h.remember(tks)
	if err != nil {
		t.Fatalf("Refresh: %v", h.leaks.err(err))
	}
	if tks.RefreshToken.Reveal() != ts.RefreshToken.Reveal() {
		t.Error("the refresh token was not kept")
	}
	if tks.AccessToken.IsZero() || tks.AccessToken.Reveal() == ts.AccessToken.Reveal() {
		t.Error("no new access token")
	}
	if want := h.clock.Now().Add(3599 * time.Second); !tks.Expiry.Equal(want) {
		t.Errorf("Expiry = %v, want %v", tks.Expiry, want)
	}
	if !slices.Contains(tks.Scopes, scopeDriveRO) {
		t.Errorf("Scopes = %q", tks.Scopes)
	}
	if tks.Identity.Subject != aliceSub {
		t.Errorf("Identity from the refreshed ID token = %+v", tks.Identity)
	}
	if st := h.sb.Stats(); st.Refreshes != 1 {
		t.Errorf("sandbox refreshes = %d, want 1 (no retry)", st.Refreshes)
	}
}

func TestRevokeThenRefresh(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	ts := h.issue(scopeDriveRO)
	if err := p.Revoke(t.Context(), ts.RefreshToken); err != nil {
		t.Fatalf("Revoke: %v", h.leaks.err(err))
	}
	if st := h.sb.Stats(); st.Revocations != 1 {
		t.Errorf("revocations = %d", st.Revocations)
	}
	_, err := p.Refresh(t.Context(), ts.RefreshToken)
	if !errors.Is(h.leaks.err(err), ErrInvalidGrant) {
		t.Fatalf("Refresh after revoke = %v, want ErrInvalidGrant", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != "invalid_grant" || e.Status != http.StatusBadRequest || e.Op != "refresh" {
		t.Errorf("err = %#v", err)
	}
	// Revoking again is not an error: the token is gone either way.
	if err := p.Revoke(t.Context(), ts.RefreshToken); err != nil {
		t.Errorf("second Revoke = %v", h.leaks.err(err))
	}
	if err := h.leaks.err(p.Revoke(t.Context(), secret.String{})); !errors.Is(err, ErrRejected) {
		t.Errorf("Revoke(empty) = %v", err)
	}
}

func TestRevokeUnavailable(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	ts := h.issue()
	h.sb.FailNext(sandbox.EndpointRevoke, 503, 1)
	if err := h.leaks.err(p.Revoke(t.Context(), ts.AccessToken)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Revoke = %v, want ErrUnavailable", err)
	}
}

func TestRefreshWithoutTokenOrAfterRevokeAll(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	if _, err := p.Refresh(t.Context(), secret.String{}); !errors.Is(h.leaks.err(err), ErrInvalidGrant) {
		t.Errorf("Refresh(empty) = %v", err)
	}
	ts := h.issue()
	if err := h.sb.RevokeAll(alice); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Refresh(t.Context(), ts.RefreshToken); !errors.Is(h.leaks.err(err), ErrInvalidGrant) {
		t.Errorf("Refresh after RevokeAll = %v", err)
	}
}

func TestTokenEndpointTemporaryFailures(t *testing.T) {
	for _, status := range []int{429, 500, 502, 503} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			h := newHarness(t)
			p := h.provider()
			ts := h.issue()
			h.sb.ScriptFailures(sandbox.EndpointToken, 1, sandbox.Failure{Status: status, RetryAfter: time.Second})
			_, err := p.Refresh(t.Context(), ts.RefreshToken)
			h.leaks.err(err)
			if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalidGrant) {
				t.Fatalf("Refresh = %v, want ErrUnavailable", err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != status {
				t.Errorf("err = %#v, want Status %d", err, status)
			}
			if st := h.sb.Stats(); st.ScriptedFailures != 1 || st.Refreshes != 0 {
				t.Errorf("stats = %+v: the client must not retry on its own", st)
			}
			// The grant is intact: the next call works.
			if _, err := p.Refresh(t.Context(), ts.RefreshToken); err != nil {
				t.Errorf("Refresh after the outage: %v", h.leaks.err(err))
			}
		})
	}
	t.Run("exchange", func(t *testing.T) {
		h := newHarness(t)
		p := h.provider()
		code, verifier := h.login(p, AuthRequest{})
		h.sb.FailNext(sandbox.EndpointToken, 503, 1)
		_, err := p.Exchange(t.Context(), code, verifier, "", "")
		if !errors.Is(h.leaks.err(err), ErrUnavailable) {
			t.Fatalf("Exchange = %v, want ErrUnavailable", err)
		}
	})
}

// failingTransport sends discovery and JWKS through, and fails everything else.
type failingTransport struct {
	next http.RoundTripper
	err  error
}

func (f failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/token" || r.URL.Path == "/revoke" {
		return nil, f.err
	}
	return f.next.RoundTrip(r)
}

func TestTokenEndpointNetworkErrors(t *testing.T) {
	h := newHarness(t)
	ts := h.issue()
	p := h.provider(func(c *Config) {
		c.HTTPClient = &http.Client{Transport: failingTransport{next: h.srv.Client().Transport,
			err: errors.New("connection reset by peer")}}
	})
	_, err := p.Refresh(t.Context(), ts.RefreshToken)
	if !errors.Is(h.leaks.err(err), ErrUnavailable) {
		t.Errorf("Refresh = %v, want ErrUnavailable", err)
	}
	if err := h.leaks.err(p.Revoke(t.Context(), ts.RefreshToken)); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Revoke = %v, want ErrUnavailable", err)
	}

	// A deadline is temporary too; the caller's own cancellation is not.
	slow := h.provider(func(c *Config) {
		c.HTTPClient = &http.Client{Transport: failingTransport{next: h.srv.Client().Transport,
			err: context.DeadlineExceeded}}
	})
	if _, err := slow.Refresh(t.Context(), ts.RefreshToken); !errors.Is(h.leaks.err(err), ErrUnavailable) {
		t.Errorf("Refresh on deadline = %v, want ErrUnavailable", err)
	}
	if err := slow.Discover(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = slow.Refresh(ctx, ts.RefreshToken)
	if h.leaks.err(err); !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Errorf("Refresh with a canceled context = %v, want context.Canceled only", err)
	}
}

func TestBrokenTokenAnswer(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	ts := h.issue()
	h.setRewrite(func(m map[string]any) { delete(m, "access_token") })
	_, err := p.Refresh(t.Context(), ts.RefreshToken)
	if h.leaks.err(err) == nil {
		t.Fatal("Refresh accepted an answer without an access token")
	}
}
