package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func TestDiscoveryDocument(t *testing.T) {
	h := newHarness(t)
	status, doc, hdr := h.bearerGet(string(EndpointDiscovery), "")
	if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, content type %q", status, hdr.Get("Content-Type"))
	}
	wantStrings := map[string]string{
		"issuer":                 h.srv.URL,
		"authorization_endpoint": h.srv.URL + "/o/oauth2/v2/auth",
		"token_endpoint":         h.srv.URL + "/token",
		"userinfo_endpoint":      h.srv.URL + "/v1/userinfo",
		"revocation_endpoint":    h.srv.URL + "/revoke",
		"jwks_uri":               h.srv.URL + "/oauth2/v3/certs",
	}
	for k, want := range wantStrings {
		if got := str(doc, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	wantLists := map[string][]string{
		"code_challenge_methods_supported":      {"plain", "S256"},
		"id_token_signing_alg_values_supported": {"RS256"},
		"token_endpoint_auth_methods_supported": {"client_secret_post", "client_secret_basic"},
		"scopes_supported":                      {"openid", "email", "profile"},
		"response_types_supported":              {"code"},
		"grant_types_supported":                 {"authorization_code", "refresh_token"},
		"subject_types_supported":               {"public"},
	}
	for k, want := range wantLists {
		var got []string
		for _, v := range doc[k].([]any) {
			got = append(got, v.(string))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if doc["authorization_response_iss_parameter_supported"] != true {
		t.Error("authorization_response_iss_parameter_supported is not true")
	}
	// go-oidc accepts the document: its issuer matches the URL it came from.
	h.provider()
}

func TestDiscoveryDerivesIssuerUntilSet(t *testing.T) {
	h := newHarness(t)
	h.sb.SetIssuer("")
	_, doc, _ := h.bearerGet(string(EndpointDiscovery), "")
	if got := str(doc, "issuer"); got != h.srv.URL {
		t.Errorf("issuer = %q, want the request's origin %q", got, h.srv.URL)
	}
	h.sb.SetIssuer("https://sandbox.test/google/")
	_, doc, _ = h.bearerGet(string(EndpointDiscovery), "")
	if got := str(doc, "token_endpoint"); got != "https://sandbox.test/google/token" {
		t.Errorf("token_endpoint = %q", got)
	}
}

// TestWebServerFlow runs Google's web-server flow with golang.org/x/oauth2
// and checks the ID token with go-oidc against the sandbox's JWKS, for both
// client authentication methods and every PKCE mode.
func TestWebServerFlow(t *testing.T) {
	tests := []struct {
		name  string
		style oauth2.AuthStyle
		pkce  string // "S256", "plain" or "" for none
	}{
		{"basic auth with S256", oauth2.AuthStyleInHeader, "S256"},
		{"post auth with S256", oauth2.AuthStyleInParams, "S256"},
		{"post auth with plain", oauth2.AuthStyleInParams, "plain"},
		{"basic auth without PKCE", oauth2.AuthStyleInHeader, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			provider := h.provider()
			ep := provider.Endpoint()
			ep.AuthStyle = tc.style
			conf := &oauth2.Config{
				ClientID: webClientID, ClientSecret: webSecret, Endpoint: ep, RedirectURL: webRedirect,
				Scopes: []string{oidc.ScopeOpenID, "email", "profile", scopeDriveRO},
			}
			verifier := oauth2.GenerateVerifier()
			authOpts := []oauth2.AuthCodeOption{oauth2.AccessTypeOffline, oidc.Nonce("n-0S6_WzA2Mj"),
				oauth2.SetAuthURLParam("login_hint", alice)}
			var exchangeOpts []oauth2.AuthCodeOption
			switch tc.pkce {
			case "S256":
				authOpts = append(authOpts, oauth2.S256ChallengeOption(verifier))
				exchangeOpts = append(exchangeOpts, oauth2.VerifierOption(verifier))
			case "plain":
				authOpts = append(authOpts, oauth2.SetAuthURLParam("code_challenge", verifier),
					oauth2.SetAuthURLParam("code_challenge_method", "plain"))
				exchangeOpts = append(exchangeOpts, oauth2.VerifierOption(verifier))
			}
			q := h.redirectParams(h.get(conf.AuthCodeURL("xyz-state", authOpts...)), webRedirect)
			if q.Get("state") != "xyz-state" || q.Get("iss") != h.srv.URL {
				t.Fatalf("state %q, iss %q", q.Get("state"), q.Get("iss"))
			}
			tok, err := conf.Exchange(h.ctx(), q.Get("code"), exchangeOpts...)
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if !strings.HasPrefix(tok.AccessToken, "ya29.") || tok.RefreshToken == "" || tok.TokenType != "Bearer" {
				t.Fatalf("token: type %q, refresh present %v", tok.TokenType, tok.RefreshToken != "")
			}
			if got := tok.Extra("expires_in"); got != float64(3599) {
				t.Errorf("expires_in = %v, want 3599", got)
			}
			wantScope := "https://www.googleapis.com/auth/drive.readonly https://www.googleapis.com/auth/userinfo.email " +
				"https://www.googleapis.com/auth/userinfo.profile openid"
			if got := tok.Extra("scope"); got != wantScope {
				t.Errorf("scope = %q, want %q", got, wantScope)
			}
			rawID, _ := tok.Extra("id_token").(string)
			idt, err := h.verifier(webClientID).Verify(h.ctx(), rawID)
			if err != nil {
				t.Fatalf("verify ID token: %v", err)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			var claims struct {
				Email         string `json:"email"`
				EmailVerified bool   `json:"email_verified"`
				HD            string `json:"hd"`
				Name          string `json:"name"`
				AZP           string `json:"azp"`
				Picture       string `json:"picture"`
			}
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			if idt.Subject != "109876543210000000001" || idt.Nonce != "n-0S6_WzA2Mj" ||
				claims.Email != alice || !claims.EmailVerified || claims.HD != "sandbox.example" ||
				claims.Name != "Alice Martin" || claims.AZP != webClientID || claims.Picture != "" {
				t.Errorf("claims: sub %s nonce %s %+v", idt.Subject, idt.Nonce, claims)
			}
			if got := idt.Expiry.Sub(h.clock.Now()); got != time.Hour {
				t.Errorf("ID token lifetime %v, want 1h", got)
			}

			ui, err := provider.UserInfo(h.ctx(), oauth2.StaticTokenSource(tok))
			if err != nil || ui.Email != alice || ui.Subject != idt.Subject {
				t.Fatalf("UserInfo: %v %+v", err, ui)
			}

			// Refresh through x/oauth2: a new access token, same refresh token.
			refreshed, err := conf.TokenSource(h.ctx(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if refreshed.AccessToken == tok.AccessToken || refreshed.RefreshToken != tok.RefreshToken {
				t.Errorf("refresh gave the same access token or a new refresh token")
			}
			if g, ok := h.sb.AccessTokenInfo(refreshed.AccessToken); !ok || g.Email != alice || g.ClientID != webClientID {
				t.Errorf("AccessTokenInfo = %+v, %v", g, ok)
			}
			st := h.sb.Stats()
			if st.Authorizations != 1 || st.CodeExchanges != 1 || st.Refreshes != 1 || st.TokenErrors != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

// TestRefreshAfterRevokeFails revokes through the endpoint and refreshes with
// x/oauth2, which must surface Google's invalid_grant.
func TestRefreshAfterRevokeFails(t *testing.T) {
	for _, revoke := range []string{"refresh", "access"} {
		t.Run("revoke "+revoke+" token", func(t *testing.T) {
			h := newHarness(t)
			ts, err := h.sb.IssueTokens(alice, webClientID, []string{"openid", "email", scopeDriveRO})
			if err != nil {
				t.Fatal(err)
			}
			tok := ts.RefreshToken.Reveal()
			if revoke == "access" {
				tok = ts.AccessToken.Reveal()
			}
			if status, body := h.postForm(string(EndpointRevoke), url.Values{"token": {tok}}); status != http.StatusOK {
				t.Fatalf("revoke: %d %v", status, body)
			}
			conf := &oauth2.Config{ClientID: webClientID, ClientSecret: webSecret, Endpoint: h.provider().Endpoint()}
			_, err = conf.TokenSource(h.ctx(), &oauth2.Token{RefreshToken: ts.RefreshToken.Reveal()}).Token()
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" ||
				re.ErrorDescription != "Token has been expired or revoked." || re.Response.StatusCode != http.StatusBadRequest {
				t.Fatalf("refresh after revoke: %v", err)
			}
			if _, ok := h.sb.AccessTokenInfo(ts.AccessToken.Reveal()); ok {
				t.Error("access token still valid after revocation")
			}
			if status, _, _ := h.bearerGet(string(EndpointUserinfo), ts.AccessToken.Reveal()); status != http.StatusUnauthorized {
				t.Errorf("userinfo after revoke: %d", status)
			}
			// Revoking again: Google answers 400 invalid_token.
			status, body := h.postForm(string(EndpointRevoke), url.Values{"token": {tok}})
			wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_token", "Token expired or revoked")
			if got := h.sb.Stats().Revocations; got != 1 {
				t.Errorf("Revocations = %d", got)
			}
		})
	}
}

func TestMintIDTokenVerifiesWithGoOIDC(t *testing.T) {
	const aud = "https://gwmcp.test/mcp"
	h := newHarness(t)
	raw, err := h.sb.MintIDToken(bob, aud, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := h.verifier(aud).Verify(h.ctx(), raw)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		AZP           string `json:"azp"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != "109876543210000000002" || claims.Email != bob || !claims.EmailVerified || idt.Issuer != h.srv.URL {
		t.Errorf("sub %s iss %s claims %+v", idt.Subject, idt.Issuer, claims)
	}
	if _, err := h.verifier("someone-else").Verify(h.ctx(), raw); err == nil {
		t.Error("token verified for another audience")
	}
	h.clock.Advance(11 * time.Minute)
	var expired *oidc.TokenExpiredError
	if _, err := h.verifier(aud).Verify(h.ctx(), raw); !errors.As(err, &expired) {
		t.Errorf("expired token: %v", err)
	}

	for name, call := range map[string]func() error{
		"unknown account": func() error { _, err := h.sb.MintIDToken("nobody@sandbox.example", aud, 0); return err },
		"no audience":     func() error { _, err := h.sb.MintIDToken(bob, "", 0); return err },
		"no issuer": func() error {
			h.sb.SetIssuer("")
			defer h.sb.SetIssuer(h.srv.URL)
			_, err := h.sb.MintIDToken(bob, aud, 0)
			return err
		},
	} {
		if call() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
