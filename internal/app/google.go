package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gwmcp/gwmcp/internal/authserver"
	"github.com/gwmcp/gwmcp/internal/config"
	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/secret"
	"github.com/gwmcp/gwmcp/internal/upstream"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// SandboxClientID is the OAuth client gwmcp registers at its sandbox Google.
const SandboxClientID = "gwmcp-sandbox.apps.googleusercontent.com"

// SandboxDemoAccount is the account the desktop demo acts as.
const SandboxDemoAccount = "alice@sandbox.example"

// googleClient returns the configured Google OAuth client: id and secret from the
// environment, else from GOOGLE_CLIENT_SECRETS_FILE. ok is false when none is configured.
func googleClient(cfg config.Config) (id string, sec secret.String, ok bool, err error) {
	if cfg.GoogleClientID != "" {
		return cfg.GoogleClientID, cfg.GoogleClientSecret, true, nil
	}
	if cfg.GoogleClientSecretsFile != "" {
		cs, err := upstream.LoadClientSecretsFile(cfg.GoogleClientSecretsFile)
		if err != nil {
			return "", secret.String{}, false, fmt.Errorf("GOOGLE_CLIENT_SECRETS_FILE: %w", err)
		}
		return cs.ClientID, cs.ClientSecret, true, nil
	}
	return "", secret.String{}, false, nil
}

// startSandbox runs the fake Google on its own loopback listener (its paths, such as
// /token and the OpenID discovery document, would collide with gwmcp's) and points the
// configuration at it: issuer, API base URL and an OAuth client. Credentials and server
// state live in memory under a temporary directory, so the demo never touches real ones.
func (a *App) startSandbox(cfg *config.Config) error {
	sb, err := sandbox.New(sandbox.Options{Now: a.opts.Now, Logger: a.log.With("component", "sandbox")})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	url := "http://" + ln.Addr().String()
	sb.SetIssuer(url)
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return err
	}
	sec := base64.RawURLEncoding.EncodeToString(key[:])
	if err := sb.AddClient(sandbox.Client{ID: SandboxClientID, Secret: secret.New(sec), RedirectURIs: []string{cfg.RedirectURL()}, Desktop: true}); err != nil {
		ln.Close()
		return err
	}
	dir, err := os.MkdirTemp("", "gwmcp-sandbox-")
	if err != nil {
		ln.Close()
		return err
	}
	a.sandbox, a.sandboxURL, a.sandboxDir = sb, url, dir
	a.sandboxSrv = &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.sandboxSrv.Serve(ln) }()

	cfg.GoogleIssuer, cfg.GoogleAPIBaseURL = url, url
	cfg.GoogleClientID, cfg.GoogleClientSecret, cfg.GoogleClientSecretsFile = SandboxClientID, secret.New(sec), ""
	cfg.CredentialsDir, cfg.CredentialMode, cfg.StoreURL = dir, string(credentials.MemoryOnly), secret.String{}
	cfg.AuthEncryptionKey = secret.New(base64.StdEncoding.EncodeToString(key[:]))
	a.log.Info("sandbox Google running: no real Google account is used", "issuer", url,
		"accounts", "alice@sandbox.example, bob@sandbox.example, carol@sandbox.example")
	return nil
}

// Sandbox is the in-process fake Google of `serve --sandbox` (nil otherwise).
func (a *App) Sandbox() *sandbox.Sandbox { return a.sandbox }

// demoAccount gives the desktop (local) principal the sandbox's demo account, with every
// scope the offered tools need.
func (a *App) demoAccount(ctx context.Context, sc []string) error {
	ts, err := a.sandbox.IssueTokens(SandboxDemoAccount, SandboxClientID, append([]string{"openid", "email"}, sc...))
	if err != nil {
		return err
	}
	acct, _ := a.sandbox.LookupAccount(SandboxDemoAccount)
	if err := a.storage.Credentials.Put(ctx, credentials.Credential{Email: SandboxDemoAccount, Subject: acct.Sub,
		AccessToken: ts.AccessToken, RefreshToken: ts.RefreshToken, TokenType: "Bearer", Expiry: ts.Expiry,
		Scopes: ts.Scopes, ClientID: SandboxClientID}); err != nil {
		return err
	}
	return a.localDefault.Set(SandboxDemoAccount)
}

// accountsBridge is what the authorization server needs of identity and credentials: the
// Google login becomes the principal's primary account, and our refresh grant checks that
// Google still honours it.
type accountsBridge struct {
	a *App
}

func (b accountsBridge) SaveLogin(ctx context.Context, l authserver.Login) error {
	a := b.a
	email := l.Identity.Email
	cred := credentials.Credential{Email: email, Subject: l.Identity.Subject, AccessToken: l.Tokens.AccessToken,
		RefreshToken: l.Tokens.RefreshToken, TokenType: l.Tokens.TokenType, Expiry: l.Tokens.Expiry, Scopes: l.Tokens.Scopes,
		ClientID: a.googleClientID}
	if old, err := a.storage.Credentials.Get(ctx, email); err == nil {
		if cred.RefreshToken.IsZero() {
			cred.RefreshToken = old.RefreshToken
		}
		if len(cred.Scopes) == 0 {
			cred.Scopes = old.Scopes
		}
	}
	if err := a.storage.Credentials.Put(ctx, cred); err != nil {
		return fmt.Errorf("storing the Google credential: %w", err)
	}
	if err := a.directory.Link(ctx, l.Identity.Subject, identity.Link{Email: email, Subject: l.Identity.Subject, Primary: true}); err != nil {
		return err
	}
	a.factory.Clear(email)
	return nil
}

func (b accountsBridge) RefreshUpstream(ctx context.Context, subject, email string) error {
	a := b.a
	cred, err := a.storage.Credentials.Get(ctx, email)
	if errors.Is(err, credentials.ErrNotFound) || (err == nil && cred.RefreshToken.IsZero()) {
		return fmt.Errorf("%w: no stored Google grant for the login account", authserver.ErrUpstreamRevoked)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", authserver.ErrUpstreamUnavailable, err)
	}
	tok, err := a.provider.Refresh(ctx, cred.RefreshToken)
	switch {
	case errors.Is(err, upstream.ErrInvalidGrant):
		return fmt.Errorf("%w: Google revoked the grant", authserver.ErrUpstreamRevoked)
	case err != nil:
		return fmt.Errorf("%w: %v", authserver.ErrUpstreamUnavailable, err)
	}
	_, err = a.storage.Credentials.Update(ctx, email, func(c *credentials.Credential) error {
		c.AccessToken, c.Expiry = tok.AccessToken, tok.Expiry
		if !tok.RefreshToken.IsZero() {
			c.RefreshToken = tok.RefreshToken
		}
		if len(tok.Scopes) > 0 {
			c.Scopes = tok.Scopes
		}
		return nil
	})
	if err == nil {
		a.factory.Clear(email)
	}
	return err
}

// noRefresher answers every refresh when no Google OAuth client is configured.
type noRefresher struct{}

func (noRefresher) Refresh(context.Context, secret.String) (workspace.Token, error) {
	return workspace.Token{}, fmt.Errorf("%w: no Google OAuth client is configured (set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET)", workspace.ErrReauthRequired)
}
