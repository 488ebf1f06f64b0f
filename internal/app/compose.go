package app

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/authserver"
	"github.com/gwmcp/gwmcp/internal/config"
	"github.com/gwmcp/gwmcp/internal/devtoken"
	"github.com/gwmcp/gwmcp/internal/googleauth"
	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/mcpserver"
	"github.com/gwmcp/gwmcp/internal/metrics"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/seal"
	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/tools/accounts"
	"github.com/gwmcp/gwmcp/internal/tools/calendar"
	"github.com/gwmcp/gwmcp/internal/tools/drive"
	"github.com/gwmcp/gwmcp/internal/tools/gmail"
	"github.com/gwmcp/gwmcp/internal/transfer"
	"github.com/gwmcp/gwmcp/internal/upstream"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// build puts every part together, in dependency order.
func (a *App) build(ctx context.Context) error {
	a.cfg = a.opts.Config
	cfg := &a.cfg
	if !a.opts.Admin && cfg.Transport == config.TransportHTTP && !cfg.Sandbox && !cfg.AuthConfigured() && !config.IsLoopbackHost(cfg.Host) {
		return &config.Error{Var: "SERVER_HOST", Value: cfg.Host, Allowed: "a loopback address (127.0.0.1, ::1, localhost) when no Google OAuth client is configured: without one, /mcp has no authentication"}
	}
	if cfg.Sandbox {
		if err := a.startSandbox(cfg); err != nil {
			return fmt.Errorf("starting the sandbox: %w", err)
		}
	}
	if a.storage == nil {
		kv := "auto"
		if (cfg.Transport == config.TransportStdio && cfg.StoreURL.IsZero()) || cfg.Sandbox {
			// On the desktop two clients may each start gwmcp on one directory; server
			// state (sessions, grants) matters only to the HTTP transport.
			kv = "memory"
		}
		if a.opts.StateStore != "" {
			kv = a.opts.StateStore
		}
		st, err := OpenStorage(ctx, *cfg, StorageOptions{KV: kv, Now: a.opts.Now, Logger: a.log})
		if err != nil {
			return err
		}
		a.storage = st
	}
	a.scopes = scopes.New(scopes.Options{Legacy: cfg.LegacyCompatMode})

	// Upstream (Google, or any OpenID provider) and the API client factory.
	id, sec, ok, err := googleClient(*cfg)
	if err != nil {
		return err
	}
	if ok {
		a.googleClientID = id
		a.provider, err = upstream.New(upstream.Config{Issuer: cfg.GoogleIssuer, ClientID: id, ClientSecret: sec, RedirectURL: cfg.RedirectURL(), Now: a.opts.Now})
		if err != nil {
			return fmt.Errorf("the Google OAuth client: %w", err)
		}
	}
	var refresher workspace.Refresher = noRefresher{}
	if a.provider != nil {
		refresher = googleauth.Refresher(a.provider)
	}
	a.factory, err = workspace.New(workspace.Options{Credentials: a.storage.Credentials, Refresher: refresher, BaseURL: cfg.GoogleAPIBaseURL,
		DisableCaching: !cfg.ServiceCaching, Now: a.opts.Now, Logger: a.log, UserAgent: "gwmcp/" + a.opts.Version})
	if err != nil {
		return fmt.Errorf("GOOGLE_API_BASE_URL: %w", err)
	}

	// Identity: who is calling, which accounts they linked, sessions.
	kv := a.storage.KV
	a.directory = identity.NewDirectory(kv, a.opts.Now)
	a.localDefault = identity.NewLocalDefault(cfg.CredentialsDir, seal.WriteFileAtomic)
	stateful := cfg.Transport == config.TransportHTTP && !cfg.Stateless
	if stateful {
		a.sessions = identity.NewSessions(kv, identity.SessionOptions{Idle: cfg.SessionTimeout, Absolute: cfg.MaxSessionLifetime, Now: a.opts.Now})
	}
	if a.provider != nil {
		a.linker = identity.NewLinker(identity.LinkerOptions{KV: kv, Credentials: a.storage.Credentials, Directory: a.directory,
			Upstream: a.provider, Scopes: a.scopes, BaseURL: cfg.BaseURL, CallbackURL: cfg.RedirectURL(), ClientID: a.googleClientID,
			Now: a.opts.Now, Logger: a.log, OnLinked: func(email string) { a.factory.Clear(email) }, Narrow: a.narrowScopes()})
	}
	a.local = localPrincipal()
	var localDef func(context.Context) string
	if cfg.Transport == config.TransportStdio || !cfg.AuthConfigured() {
		localDef = func(context.Context) string { return a.localDefault.Get() }
	}
	a.resolver = identity.NewResolver(identity.ResolverOptions{Directory: a.directory, Credentials: a.storage.Credentials,
		Scopes: a.scopes, AuthURL: a.authURL, ServiceAccounts: cfg.IDTokenAccounts, LocalDefault: localDef})

	// Large content: local files on the desktop, signed single-use URLs over HTTP.
	localDir := ""
	if cfg.Transport == config.TransportStdio {
		localDir = cfg.TransferDir
	}
	a.transfers, err = transfer.New(transfer.Options{LocalDir: localDir, BaseURL: cfg.BaseURL, KV: kv, MaxBytes: cfg.TransferMaxBytes,
		Now: a.opts.Now, Logger: a.log})
	if err != nil {
		return fmt.Errorf("TRANSFER_DIR: %w", err)
	}

	// Tools.
	a.registry = a.opts.Tools
	a.deps = &tools.Deps{Resolver: a.resolver, Clients: a.factory, Local: a.local, AuthURL: a.authURL, KV: kv, Logger: a.log,
		FromToken: principalFromToken, Transfers: a.transfers}
	if a.sessions != nil {
		a.deps.Selection = a.sessions
	}
	accounts.Register(a.registry, &accounts.Deps{Tools: a.deps, Resolver: a.resolver, Directory: a.directory, Sessions: a.sessions,
		Linker: a.linker, Credentials: a.storage.Credentials, Scopes: a.scopes, Revoker: a.revoker(), Clients: a.factory,
		Local: cfg.Transport == config.TransportStdio, LocalDefault: a.localDefault, OpenBrowser: a.opts.OpenBrowser})
	registerGoogleTools(a.registry, a.deps)
	filter, err := a.toolFilter()
	if err != nil {
		return err
	}
	prefs := tools.NewPrefs(a.deps, a.registry, filter, a.opts.Now)
	prefs.Register(a.registry)
	a.metrics = metrics.New(a.opts.Version, a.registry.Has)

	if cfg.Sandbox {
		if err := a.demoAccount(ctx, a.offeredScopes(filter)); err != nil {
			return fmt.Errorf("sandbox demo account: %w", err)
		}
	}

	// The authorization server, over HTTP with a Google client.
	if cfg.Transport == config.TransportHTTP && a.provider != nil {
		a.auth, err = authserver.New(ctx, authserver.Config{
			Issuer: cfg.BaseURL, Resource: cfg.MCPResource(), CallbackURL: cfg.RedirectURL(),
			RegistrationsPerMinute: cfg.RegistrationsPerMinute, DefaultServices: a.offeredServices(filter),
			DefaultScopes: a.offeredScopes(filter),
			SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://"), MaxMCPBody: cfg.MaxRequestBytes,
			Now: a.opts.Now, Logger: a.log, Store: kv, Upstream: a.provider, Accounts: accountsBridge{a}, Scopes: a.scopes,
			NarrowScopes: a.narrowScopes(),
			CIMDClient:   conformanceCIMDClient(a.log), // nil (the SSRF-safe default) unless built with -tags conformance
			RequiredScopes: func(method, tool string) []string {
				if spec, ok := a.registry.Spec(tool); ok {
					return spec.Scopes
				}
				return nil
			},
		})
		if err != nil {
			return fmt.Errorf("the authorization server: %w", err)
		}
	}
	if cfg.DevTokens != "" {
		a.devKey, err = devtoken.LoadOrCreate(cfg.CredentialsDir, seal.WriteFileAtomic, nil)
		if err != nil {
			return fmt.Errorf("ENABLE_DEV_TOKENS: %w", err)
		}
		a.log.Warn("ENABLE_DEV_TOKENS is on: tokens minted with `gwmcp token dev` are accepted; never do this in production")
	}

	a.mcp = mcpserver.New(mcpserver.Options{Version: a.opts.Version, Config: *cfg, Tools: a.registry, Logger: a.log,
		Now: a.opts.Now, SessionID: a.newSessionID, Filter: filter, Identity: a.describeCaller,
		Middleware: []mcp.Middleware{prefs.Middleware, a.metrics.Middleware}})
	addConformanceFixtures(a.mcp.Server, a.log) // no-op unless built with -tags conformance
	a.handler = a.routes()
	return nil
}

// registerGoogleTools registers the Google service tools.
func registerGoogleTools(r *tools.Registry, d *tools.Deps) {
	drive.Register(r, d)
	gmail.Register(r, d)
	calendar.Register(r, d)
}

func localPrincipal() identity.Principal {
	name := "user"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return identity.Principal{Subject: "local:" + name, Kind: identity.KindLocal}
}

// toolFilter turns the tier, service and read-only settings into the registry filter.
func (a *App) toolFilter() (tools.Filter, error) {
	tier, err := tools.ParseTier(a.cfg.ToolTier)
	if err != nil {
		return tools.Filter{}, &config.Error{Var: "MCP_TOOL_TIER", Value: a.cfg.ToolTier, Allowed: "core, extended or complete"}
	}
	return tools.Filter{Tier: tier, Services: a.cfg.Services, ReadOnly: a.cfg.ReadOnly}, nil
}

// offeredServices are the Google services of the tools the filter offers.
func (a *App) offeredServices(f tools.Filter) []string {
	var out []string
	for _, t := range a.registry.Tools() {
		spec, _ := a.registry.Spec(t.Name)
		if spec.Service != "" && f.Allows(t, spec) && !slices.Contains(out, spec.Service) {
			out = append(out, spec.Service)
		}
	}
	slices.Sort(out)
	return out
}

// offeredScopes are the Google scopes the offered tools declare (read-only narrowed).
func (a *App) offeredScopes(f tools.Filter) []string {
	var out []string
	for _, t := range a.registry.Tools() {
		spec, _ := a.registry.Spec(t.Name)
		if f.Allows(t, spec) {
			for _, s := range spec.Scopes {
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
	}
	if n := a.narrowScopes(); n != nil {
		out = n(out)
	}
	return out
}

// narrowScopes is --read-only's rewrite of requested scopes: every Google API scope becomes
// its read-only counterpart (or is dropped); sign-in scopes (openid, email, offline_access)
// are kept. nil when the server is not read-only.
func (a *App) narrowScopes() func([]string) []string {
	if !a.cfg.ReadOnly {
		return nil
	}
	return func(in []string) []string {
		var keep, api []string
		for _, s := range in {
			if svc := a.scopes.Service(s); svc == "" || svc == "identity" {
				keep = append(keep, s)
			} else {
				api = append(api, s)
			}
		}
		return append(keep, a.scopes.ReadOnly(api)...)
	}
}

// authURL is the resolver's way to the URL that authorizes an account: a link page over
// HTTP, a loopback sign-in on the desktop.
func (a *App) authURL(ctx context.Context, p identity.Principal, email string, sc []string) (string, error) {
	if a.linker == nil {
		return "", errors.New("no Google OAuth client is configured (set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET)")
	}
	if n := a.narrowScopes(); n != nil {
		sc = n(sc)
	}
	if a.cfg.Transport == config.TransportStdio {
		f, err := a.linker.StartLocal(context.WithoutCancel(ctx), p, email, sc, 10*time.Minute)
		if err != nil {
			return "", err
		}
		go func() {
			if l, err := f.Wait(context.Background()); err == nil {
				a.factory.Clear(l.Email)
			}
		}()
		return f.URL, nil
	}
	return a.linker.URL(ctx, p, email, sc)
}

func (a *App) revoker() accounts.Revoker {
	if a.provider == nil {
		return nil
	}
	return a.provider
}

// principalFromToken reads the authorization server's principal from the SDK token info.
func principalFromToken(ti *auth.TokenInfo) (identity.Principal, bool) {
	p, ok := authserver.PrincipalFromTokenInfo(ti)
	if !ok {
		return identity.Principal{}, false
	}
	return identity.Principal{Subject: p.Subject, Email: p.Email, Kind: identity.KindOAuth, ClientID: p.ClientID, Scopes: p.Scopes}, true
}

// Caller is the gwmcp://me resource: who is calling and the accounts they may use.
type Caller struct {
	Kind     string          `json:"kind"`
	Email    string          `json:"email,omitempty"`
	Client   string          `json:"client,omitempty"`
	Accounts []CallerAccount `json:"accounts"`
}

// CallerAccount is one account of the caller (never a token).
type CallerAccount struct {
	Email      string `json:"email"`
	Primary    bool   `json:"primary"`
	Authorized bool   `json:"authorized"`
}

func (a *App) describeCaller(ctx context.Context, req *mcp.ReadResourceRequest) (any, error) {
	var p identity.Principal
	if req != nil && req.Extra != nil && req.Extra.TokenInfo != nil {
		// The same reading as the tools: a verified token's principal, never the local one.
		p = a.deps.PrincipalOf(&mcp.CallToolRequest{Extra: req.Extra})
	} else {
		p = a.deps.Local
	}
	if p.Subject == "" {
		return nil, errors.New("the caller could not be identified")
	}
	accts, err := a.resolver.Accounts(ctx, p)
	if err != nil {
		return nil, err
	}
	out := Caller{Kind: string(p.Kind), Email: p.Email, Client: p.ClientID, Accounts: []CallerAccount{}}
	for _, acct := range accts {
		out.Accounts = append(out.Accounts, CallerAccount{Email: acct.Email, Primary: acct.Primary, Authorized: acct.Stored})
	}
	return out, nil
}
