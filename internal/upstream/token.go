package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/gwmcp/gwmcp/internal/secret"
)

// Tokens is what the provider's token endpoint granted.
type Tokens struct {
	AccessToken, RefreshToken, IDToken secret.String
	// TokenType is the provider's token_type, normally "Bearer".
	TokenType string
	// Expiry is when the access token expires (zero when the provider did
	// not say), computed from expires_in with Config.Now.
	Expiry time.Time
	// Scopes are the granted scopes as the provider reports them ("scope"),
	// full URLs; nil when the answer had no scope field.
	Scopes []string
	// Identity comes from the verified ID token, when there is one.
	Identity Identity
}

// Exchange trades an authorization code and its PKCE verifier for tokens.
// redirectURL must be the one the authorization request used ("" means
// Config.RedirectURL). The ID token is required and verified: signature,
// issuer, audience (the client id; azp too when there are several),
// expiry with a small skew, at_hash, and nonce when nonce is not empty.
func (p *Provider) Exchange(ctx context.Context, code, verifier, nonce string, redirectURL string) (Tokens, error) {
	const op = "exchange"
	if code == "" {
		return Tokens{}, &Error{Op: op, Kind: ErrRejected, Detail: "no authorization code"}
	}
	if !validVerifier(verifier) {
		return Tokens{}, &Error{Op: op, Kind: ErrRejected, Detail: "the code verifier is not a valid PKCE verifier"}
	}
	redirect, err := p.redirectURL(op, redirectURL)
	if err != nil {
		return Tokens{}, err
	}
	m, err := p.metadata(ctx)
	if err != nil {
		return Tokens{}, err
	}
	conf := p.oauthConfig(m, redirect)
	tok, err := conf.Exchange(p.clientContext(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Tokens{}, tokenError(ctx, op, err)
	}
	out, err := p.tokens(op, tok)
	if err != nil {
		return Tokens{}, err
	}
	if out.IDToken.IsZero() {
		return Tokens{}, &Error{Op: op, Kind: ErrInvalidIDToken, Detail: "the provider returned no ID token"}
	}
	id, idt, err := p.verifyIDToken(ctx, m, out.IDToken.Reveal(), idCheck{
		op: op, audiences: []string{p.cfg.ClientID}, clientID: p.cfg.ClientID, nonce: nonce,
	})
	if err != nil {
		return Tokens{}, err
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(out.AccessToken.Reveal()); err != nil {
			return Tokens{}, &Error{Op: op, Kind: ErrInvalidIDToken, Detail: "at_hash does not match the access token"}
		}
	}
	out.Identity = id
	return out, nil
}

// Refresh uses a refresh token for a new access token. When the provider
// returns no new refresh token (Google never rotates), the old one is kept in
// the result. An ID token in the answer is verified (without nonce) and fills
// Identity.
func (p *Provider) Refresh(ctx context.Context, refreshToken secret.String) (Tokens, error) {
	const op = "refresh"
	if refreshToken.IsZero() {
		return Tokens{}, &Error{Op: op, Kind: ErrInvalidGrant, Detail: "no refresh token"}
	}
	m, err := p.metadata(ctx)
	if err != nil {
		return Tokens{}, err
	}
	conf := p.oauthConfig(m, "")
	src := conf.TokenSource(p.clientContext(ctx), &oauth2.Token{RefreshToken: refreshToken.Reveal()})
	tok, err := src.Token()
	if err != nil {
		return Tokens{}, tokenError(ctx, op, err)
	}
	out, err := p.tokens(op, tok)
	if err != nil {
		return Tokens{}, err
	}
	if out.RefreshToken.IsZero() {
		out.RefreshToken = refreshToken
	}
	if !out.IDToken.IsZero() {
		id, _, err := p.verifyIDToken(ctx, m, out.IDToken.Reveal(), idCheck{
			op: op, audiences: []string{p.cfg.ClientID}, clientID: p.cfg.ClientID,
		})
		if err != nil {
			return Tokens{}, err
		}
		out.Identity = id
	}
	return out, nil
}

// clientContext hands our HTTP client to x/oauth2.
func (p *Provider) clientContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.client)
}

// tokens converts an x/oauth2 token.
func (p *Provider) tokens(op string, tok *oauth2.Token) (Tokens, error) {
	if tok.AccessToken == "" {
		return Tokens{}, &Error{Op: op, Kind: ErrRejected, Detail: "the provider returned no access token"}
	}
	out := Tokens{
		AccessToken:  secret.New(tok.AccessToken),
		RefreshToken: secret.New(tok.RefreshToken),
		TokenType:    tok.TokenType,
	}
	switch {
	case tok.ExpiresIn > 0:
		out.Expiry = p.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	case !tok.Expiry.IsZero():
		out.Expiry = tok.Expiry
	}
	if raw, ok := tok.Extra("id_token").(string); ok {
		out.IDToken = secret.New(raw)
	}
	if scope, ok := tok.Extra("scope").(string); ok {
		out.Scopes = strings.Fields(scope)
	}
	return out, nil
}

// tokenError classifies an error of x/oauth2 without keeping its text, which
// may hold the provider's raw answer.
func tokenError(ctx context.Context, op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		code := sanitizeCode(re.ErrorCode)
		kind := kindForAnswer(status, code)
		return &Error{Op: op, Kind: kind, Status: status, Code: code, Temporary: kind == ErrUnavailable}
	}
	var ue *url.Error
	if errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		e := transportError(ctx, err)
		e.Op = op
		if e.Temporary {
			e.Kind = ErrUnavailable
		}
		return e
	}
	// A 2xx answer x/oauth2 could not parse: a broken provider or a proxy in
	// the way. Treated as temporary; the text is not kept (it may quote the body).
	return &Error{Op: op, Kind: ErrUnavailable, Temporary: true, Detail: "unreadable answer from the token endpoint"}
}

// Revoke revokes a token (access or refresh) at the provider's
// revocation_endpoint (Google's is https://oauth2.googleapis.com/revoke);
// at Google this ends the whole grant. The token travels in the POST body,
// with the client authenticated the same way as at the token endpoint. A
// token the provider no longer knows (Google answers 400 invalid_token) counts
// as revoked. A provider without a revocation endpoint gives an error that
// matches errors.ErrUnsupported.
func (p *Provider) Revoke(ctx context.Context, token secret.String) error {
	const op = "revoke"
	if token.IsZero() {
		return &Error{Op: op, Kind: ErrRejected, Detail: "no token"}
	}
	m, err := p.metadata(ctx)
	if err != nil {
		return err
	}
	if m.revokeURL == "" {
		return &Error{Op: op, Kind: ErrRejected, Detail: "the provider has no revocation endpoint", Err: errors.ErrUnsupported}
	}
	form := url.Values{"token": {token.Reveal()}}
	if m.authStyle == oauth2.AuthStyleInParams {
		form.Set("client_id", p.cfg.ClientID)
		if !p.cfg.ClientSecret.IsZero() {
			form.Set("client_secret", p.cfg.ClientSecret.Reveal())
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.revokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return &Error{Op: op, Kind: ErrRejected, Detail: "build request"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if m.authStyle == oauth2.AuthStyleInHeader {
		req.SetBasicAuth(url.QueryEscape(p.cfg.ClientID), url.QueryEscape(p.cfg.ClientSecret.Reveal()))
	}
	resp, err := p.client.Do(req)
	if err != nil {
		e := transportError(ctx, err)
		e.Op = op
		if e.Temporary {
			e.Kind = ErrUnavailable
		}
		return e
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var answer struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &answer)
	code := sanitizeCode(answer.Error)
	if resp.StatusCode == http.StatusBadRequest && code == "invalid_token" {
		return nil
	}
	kind := kindForAnswer(resp.StatusCode, code)
	return &Error{Op: op, Kind: kind, Status: resp.StatusCode, Code: code, Temporary: kind == ErrUnavailable}
}
