package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gwmcp/gwmcp/internal/authserver"
	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/devtoken"
	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/seal"
	"github.com/gwmcp/gwmcp/internal/tools"
)

// The administration the CLI does through a built App (gwmcp auth, token, sessions).

// ErrNoGoogleClient means the operation needs a Google OAuth client.
var ErrNoGoogleClient = errors.New("no Google OAuth client is configured: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (or GOOGLE_CLIENT_SECRETS_FILE)")

// LinkLocal connects a Google account from the terminal (gwmcp auth login): it prints the
// authorization URL, opens a browser when asked and able, and completes either on the
// loopback listener or with the address the person pastes (for a browser on another
// machine). The first account becomes the desktop default.
func (a *App) LinkLocal(ctx context.Context, hint string, services []string, openBrowser bool, paste io.Reader, out io.Writer) (identity.Link, error) {
	if a.linker == nil {
		return identity.Link{}, ErrNoGoogleClient
	}
	if len(services) == 0 {
		services = a.offeredServices(mustFilter(a))
	}
	sc, err := a.scopes.ForServices(services)
	if err != nil {
		return identity.Link{}, fmt.Errorf("--services: %w", err)
	}
	f, err := a.linker.StartLocal(ctx, a.local, hint, sc, 10*time.Minute)
	if err != nil {
		return identity.Link{}, err
	}
	defer f.Close()
	fmt.Fprintf(out, "Open this URL in a browser, sign in with the Google account to connect, and approve:\n\n  %s\n\n", f.URL)
	if openBrowser && a.opts.OpenBrowser != nil && a.opts.OpenBrowser(f.URL) == nil {
		fmt.Fprintln(out, "(A browser window was opened.)")
	}
	fmt.Fprintln(out, "Waiting for Google... If the browser runs on another machine, paste here the address it ends on and press Enter.")
	pasted := make(chan string, 1)
	if paste != nil {
		go func() {
			sc := bufio.NewScanner(paste)
			for sc.Scan() {
				if line := strings.TrimSpace(sc.Text()); line != "" {
					pasted <- line
					return
				}
			}
		}()
	}
	var link identity.Link
	select {
	case <-f.Done():
		link, err = f.Wait(ctx)
	case line := <-pasted:
		link, err = f.Paste(ctx, line)
	case <-ctx.Done():
		return identity.Link{}, ctx.Err()
	}
	if err != nil {
		return identity.Link{}, err
	}
	if a.localDefault.Get() == "" {
		_ = a.localDefault.Set(link.Email)
	}
	return link, nil
}

func mustFilter(a *App) (f tools.Filter) {
	f, _ = a.toolFilter()
	return f
}

// LocalAccount is one account on disk with what it granted.
type LocalAccount struct {
	Email    string
	Default  bool
	Services []string
	Expiry   time.Time
}

// LocalAccounts lists the accounts stored on disk (gwmcp auth list).
func (a *App) LocalAccounts(ctx context.Context) ([]LocalAccount, []credentials.Problem, error) {
	creds, problems, err := a.storage.Credentials.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	def := identity.CanonicalEmail(a.localDefault.Get())
	out := make([]LocalAccount, 0, len(creds))
	for _, c := range creds {
		la := LocalAccount{Email: c.Email, Default: def != "" && identity.CanonicalEmail(c.Email) == def, Expiry: c.Expiry}
		for _, u := range c.Scopes {
			if s := a.scopes.Service(u); s != "" && s != "identity" && !slices.Contains(la.Services, s) {
				la.Services = append(la.Services, s)
			}
		}
		out = append(out, la)
	}
	return out, problems, nil
}

// RevokeReport says what revoking did.
type RevokeReport struct {
	Accounts        int // credentials deleted
	RevokedAtGoogle int // of them, revoked at Google
	GoogleFailures  []string
	Links           int // principals' links removed
	Sessions        int // MCP sessions ended
	Server          authserver.Report
	ServerState     bool // the server state (grants, sessions, links) was reachable
}

// RevokeAccount revokes one account at Google, deletes its credential and removes every
// principal's link to it (gwmcp auth revoke EMAIL).
func (a *App) RevokeAccount(ctx context.Context, email string) (RevokeReport, error) {
	var rep RevokeReport
	cred, err := a.storage.Credentials.Get(ctx, email)
	if errors.Is(err, credentials.ErrNotFound) {
		return rep, fmt.Errorf("no stored credential for %s (gwmcp auth list shows the accounts)", email)
	}
	if err != nil {
		return rep, err
	}
	a.revokeCredential(ctx, cred, &rep)
	if a.storage.KV != nil {
		rep.ServerState = true
		principals, err := a.directory.Linkers(ctx, cred.Email)
		if err != nil {
			return rep, err
		}
		for _, p := range principals {
			if _, err := a.directory.Unlink(ctx, p, cred.Email); err == nil {
				rep.Links++
			}
		}
	}
	return rep, nil
}

func (a *App) revokeCredential(ctx context.Context, c credentials.Credential, rep *RevokeReport) {
	if a.provider != nil {
		tok := c.RefreshToken
		if tok.IsZero() {
			tok = c.AccessToken
		}
		if err := a.provider.Revoke(ctx, tok); err != nil {
			rep.GoogleFailures = append(rep.GoogleFailures, c.Email)
		} else {
			rep.RevokedAtGoogle++
		}
	} else {
		rep.GoogleFailures = append(rep.GoogleFailures, c.Email)
	}
	if err := a.storage.Credentials.Delete(ctx, c.Email); err == nil {
		rep.Accounts++
	}
	a.factory.Clear(c.Email)
	if identity.CanonicalEmail(a.localDefault.Get()) == identity.CanonicalEmail(c.Email) {
		_ = a.localDefault.Set("")
	}
}

// RevokeEverything is the emergency switch (gwmcp auth revoke --all): every grant, refresh
// token, code and consent of the authorization server, every MCP session, every link, and
// every Google credential revoked at Google and deleted.
func (a *App) RevokeEverything(ctx context.Context) (RevokeReport, error) {
	var rep RevokeReport
	var errs []error
	if a.auth != nil {
		r, err := a.auth.RevokeAll(ctx)
		rep.Server = r
		errs = append(errs, err)
	}
	if a.storage.KV != nil {
		rep.ServerState = true
		sess := identity.NewSessions(a.storage.KV, identity.SessionOptions{Idle: a.cfg.SessionTimeout, Absolute: a.cfg.MaxSessionLifetime, Now: a.opts.Now})
		all, err := sess.List(ctx)
		errs = append(errs, err)
		for _, s := range all {
			if sess.End(ctx, s.Handle) == nil {
				rep.Sessions++
			}
		}
		keys, err := a.storage.KV.List(ctx, "id/link")
		errs = append(errs, err)
		for _, k := range keys {
			if a.storage.KV.Delete(ctx, k) == nil && strings.HasPrefix(k, "id/link/") {
				rep.Links++
			}
		}
	}
	creds, _, err := a.storage.Credentials.List(ctx)
	errs = append(errs, err)
	for _, c := range creds {
		a.revokeCredential(ctx, c, &rep)
	}
	return rep, errors.Join(errs...)
}

// MintDevToken signs a development token (gwmcp token dev) with the key under
// CREDENTIALS_DIR, for this server's BASE_URL.
func (a *App) MintDevToken(email string, scopeNames []string, ttl time.Duration) (string, error) {
	var sc []string
	if len(scopeNames) > 0 {
		var err error
		if sc, err = a.scopes.Resolve(scopeNames...); err != nil {
			return "", fmt.Errorf("--scopes: %w", err)
		}
	}
	key, err := devtoken.LoadOrCreate(a.cfg.CredentialsDir, seal.WriteFileAtomic, nil)
	if err != nil {
		return "", err
	}
	return key.Mint(devtoken.Claims{Email: email, Scopes: sc, TTL: ttl}, a.cfg.BaseURL, a.cfg.MCPResource(), a.opts.Now())
}

// Sessions lists the live MCP sessions (administrators).
func (a *App) Sessions(ctx context.Context) ([]identity.Session, error) {
	if a.storage.KV == nil {
		return nil, errors.New("the server state is not open")
	}
	return identity.NewSessions(a.storage.KV, identity.SessionOptions{Idle: a.cfg.SessionTimeout, Absolute: a.cfg.MaxSessionLifetime}).List(ctx)
}

// EndSession ends a session by its handle (administrators).
func (a *App) EndSession(ctx context.Context, handle string) error {
	if a.storage.KV == nil {
		return errors.New("the server state is not open")
	}
	return identity.NewSessions(a.storage.KV, identity.SessionOptions{Idle: a.cfg.SessionTimeout, Absolute: a.cfg.MaxSessionLifetime}).End(ctx, handle)
}
