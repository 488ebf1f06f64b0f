package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/scopes"
)

// CredentialStore is what the resolver reads of stored Google credentials.
type CredentialStore interface {
	Get(ctx context.Context, email string) (credentials.Credential, error)
	List(ctx context.Context) ([]credentials.Credential, []credentials.Problem, error)
}

// AuthURLFunc returns the URL at which the principal can grant gwmcp access to an account
// (email may be empty: any account) with the given scopes.
type AuthURLFunc func(ctx context.Context, p Principal, email string, scopes []string) (string, error)

// Resolver decides, on every tool call, which Google account acts for the caller.
type Resolver struct {
	dir      *Directory
	creds    CredentialStore
	scopes   *scopes.Registry
	authURL  AuthURLFunc
	allow    map[string][]string // flow 4: caller (email or sub) -> accounts it may act as
	localDef func(ctx context.Context) string
}

// ResolverOptions configure NewResolver.
type ResolverOptions struct {
	Directory   *Directory
	Credentials CredentialStore
	Scopes      *scopes.Registry
	AuthURL     AuthURLFunc
	// ServiceAccounts is flow 4's allow-list: a caller's ID-token email (or sub) to the
	// Google accounts it may act as.
	ServiceAccounts map[string][]string
	// LocalDefault names the default account of the local (stdio) principal, if one was
	// chosen; nil or "" means none.
	LocalDefault func(ctx context.Context) string
}

// NewResolver returns a resolver.
func NewResolver(o ResolverOptions) *Resolver {
	allow := map[string][]string{}
	for k, v := range o.ServiceAccounts {
		allow[CanonicalEmail(k)] = v
	}
	return &Resolver{dir: o.Directory, creds: o.Credentials, scopes: o.Scopes, authURL: o.AuthURL, allow: allow, localDef: o.LocalDefault}
}

// Request is one tool call's question to the resolver.
type Request struct {
	Principal Principal
	// Requested is the tool's user_google_email argument ("" or me/myself: the default).
	Requested string
	// Selected is the account the MCP session chose with switch_google_account, if any.
	Selected string
	// Scopes are the Google scopes the tool needs.
	Scopes []string
}

// Resolved is the account that acts, with its credential.
type Resolved struct {
	Email      string
	Credential credentials.Credential
}

// Account is one account a principal may act as.
type Account struct {
	Email   string
	Subject string
	Primary bool
	// Stored reports whether gwmcp holds a credential for it.
	Stored bool
}

// NeedsAuthError means the caller must (re)authorize at URL: no credential, a revoked one, or
// a missing scope. Its message is written for the model.
type NeedsAuthError struct {
	Email   string
	Scopes  []string // the scopes being asked for
	Missing []string // scopes the stored credential lacks, if that is the reason
	Reason  string
	URL     string
}

func (e *NeedsAuthError) Error() string {
	var b strings.Builder
	b.WriteString(e.Reason)
	if e.URL != "" {
		b.WriteString(" Ask the user to open this URL, approve access, and then retry the same call: ")
		b.WriteString(e.URL)
	}
	return b.String()
}

// ForeignAccountError means the caller named an account it has not linked.
type ForeignAccountError struct{ Requested string }

func (e *ForeignAccountError) Error() string {
	return fmt.Sprintf("%s is not one of the Google accounts you have connected to gwmcp, so it cannot be used. "+
		"To use it, call start_google_auth with user_google_email=%q and have its owner approve; "+
		"list_google_accounts shows the accounts you can use.", e.Requested, e.Requested)
}

// AmbiguousAccountError means several accounts could act and none is the default.
type AmbiguousAccountError struct{ Accounts []string }

func (e *AmbiguousAccountError) Error() string {
	return "Several Google accounts are connected (" + strings.Join(e.Accounts, ", ") + ") and none is the default: " +
		"pass user_google_email, or call switch_google_account to choose one."
}

// ErrNoPrincipal means the request carries no identity.
var ErrNoPrincipal = errors.New("the request is not authenticated")

// IsSelf reports whether a user_google_email value means "my default account".
func IsSelf(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "me", "myself", "self":
		return true
	}
	return false
}

// Resolve returns the account that acts for req, in the order of DESIGN.md section 2: the
// account the caller named (only if it is its own), else the session's selection, else the
// principal's primary account, else its only account; with no usable credential, a
// NeedsAuthError carrying the authorization URL.
func (r *Resolver) Resolve(ctx context.Context, req Request) (Resolved, error) {
	p := req.Principal
	if p.Subject == "" {
		return Resolved{}, ErrNoPrincipal
	}
	if missing := r.tokenMissing(p, req.Scopes); len(missing) > 0 {
		return Resolved{}, &NeedsAuthError{Scopes: missing, Missing: missing,
			Reason: "This MCP client was not granted " + r.describe(missing) + " when it was authorized. " +
				"Reconnect the client to gwmcp and approve that service on the consent page."}
	}
	acct, err := r.pick(ctx, p, req)
	if err != nil {
		return Resolved{}, err
	}
	cred, err := r.creds.Get(ctx, acct.Email)
	if errors.Is(err, credentials.ErrNotFound) {
		return Resolved{}, r.needsAuth(ctx, p, acct.Email, req.Scopes, nil,
			"gwmcp holds no Google authorization for "+acct.Email+".")
	}
	if err != nil {
		return Resolved{}, fmt.Errorf("reading the credential of %s: %w", acct.Email, err)
	}
	if missing := r.scopes.Missing(cred.Scopes, req.Scopes); len(missing) > 0 {
		return Resolved{}, r.needsAuth(ctx, p, acct.Email, missing, missing,
			acct.Email+" has not granted gwmcp "+r.describe(missing)+", which this tool needs.")
	}
	if cred.RefreshToken.IsZero() && cred.AccessToken.IsZero() {
		return Resolved{}, r.needsAuth(ctx, p, acct.Email, req.Scopes, nil, "The authorization for "+acct.Email+" has no usable token.")
	}
	return Resolved{Email: cred.Email, Credential: cred}, nil
}

// tokenMissing returns the required scopes the caller's token does not grant (OAuth and dev
// tokens carry the Google scopes they may use; stdio callers are not limited).
func (r *Resolver) tokenMissing(p Principal, required []string) []string {
	if p.Scopes == nil || len(required) == 0 {
		return nil
	}
	return r.scopes.Missing(p.Scopes, required)
}

func (r *Resolver) describe(urls []string) string {
	names := make([]string, 0, len(urls))
	for _, u := range urls {
		if s, ok := r.scopes.Lookup(u); ok {
			names = append(names, s.Name)
		} else {
			names = append(names, u)
		}
	}
	return "the scope(s) " + strings.Join(names, ", ")
}

func (r *Resolver) needsAuth(ctx context.Context, p Principal, email string, want, missing []string, reason string) error {
	e := &NeedsAuthError{Email: email, Scopes: want, Missing: missing, Reason: reason}
	if r.authURL != nil {
		u, err := r.authURL(ctx, p, email, want)
		if err != nil {
			return fmt.Errorf("%s (and the authorization URL could not be made: %w)", reason, err)
		}
		e.URL = u
	}
	return e
}

// pick chooses the account among the principal's own.
func (r *Resolver) pick(ctx context.Context, p Principal, req Request) (Account, error) {
	if !IsSelf(req.Requested) {
		return r.own(ctx, p, req.Requested)
	}
	if req.Selected != "" {
		if a, err := r.own(ctx, p, req.Selected); err == nil {
			return a, nil
		}
		// A selection that is no longer linked falls through to the default.
	}
	if p.Kind != KindLocal && p.Email != "" {
		if a, err := r.own(ctx, p, p.Email); err == nil {
			return a, nil
		}
	}
	if p.Kind == KindLocal && r.localDef != nil {
		if def := r.localDef(ctx); def != "" {
			if a, err := r.own(ctx, p, def); err == nil {
				return a, nil
			}
		}
	}
	all, err := r.Accounts(ctx, p)
	if err != nil {
		return Account{}, err
	}
	switch len(all) {
	case 0:
		return Account{}, r.needsAuth(ctx, p, "", req.Scopes, nil, "No Google account is connected to gwmcp yet.")
	case 1:
		return all[0], nil
	}
	emails := make([]string, len(all))
	for i, a := range all {
		emails[i] = a.Email
	}
	return Account{}, &AmbiguousAccountError{Accounts: emails}
}

// Own returns the principal's account matching email (compared canonically), or a
// ForeignAccountError. It checks ownership only, not whether a credential is stored.
func (r *Resolver) Own(ctx context.Context, p Principal, email string) (Account, error) {
	return r.own(ctx, p, email)
}

func (r *Resolver) own(ctx context.Context, p Principal, email string) (Account, error) {
	want := CanonicalEmail(email)
	switch p.Kind {
	case KindLocal:
		all, err := r.Accounts(ctx, p)
		if err != nil {
			return Account{}, err
		}
		for _, a := range all {
			if CanonicalEmail(a.Email) == want {
				return a, nil
			}
		}
	case KindDev:
		if CanonicalEmail(p.Email) == want {
			return Account{Email: strings.ToLower(p.Email), Primary: true}, nil
		}
	case KindIDToken:
		for _, a := range r.allowed(p) {
			if CanonicalEmail(a) == want {
				return Account{Email: strings.ToLower(a)}, nil
			}
		}
	default:
		l, ok, err := r.dir.Lookup(ctx, p.Subject, email)
		if err != nil {
			return Account{}, err
		}
		if ok {
			return Account{Email: l.Email, Subject: l.Subject, Primary: l.Primary}, nil
		}
	}
	return Account{}, &ForeignAccountError{Requested: strings.TrimSpace(email)}
}

func (r *Resolver) allowed(p Principal) []string {
	if v, ok := r.allow[CanonicalEmail(p.Email)]; ok && p.Email != "" {
		return v
	}
	return r.allow[CanonicalEmail(p.Subject)]
}

// Accounts lists the accounts the principal may act as, primary first.
func (r *Resolver) Accounts(ctx context.Context, p Principal) ([]Account, error) {
	var out []Account
	switch p.Kind {
	case KindLocal:
		creds, _, err := r.creds.List(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing stored accounts: %w", err)
		}
		def := ""
		if r.localDef != nil {
			def = CanonicalEmail(r.localDef(ctx))
		}
		for _, c := range creds {
			out = append(out, Account{Email: c.Email, Subject: c.Subject, Stored: true, Primary: def != "" && CanonicalEmail(c.Email) == def})
		}
	case KindDev:
		out = append(out, Account{Email: strings.ToLower(p.Email), Primary: true})
	case KindIDToken:
		for _, a := range r.allowed(p) {
			out = append(out, Account{Email: strings.ToLower(a)})
		}
	default:
		links, err := r.dir.Links(ctx, p.Subject)
		if err != nil {
			return nil, err
		}
		for _, l := range links {
			out = append(out, Account{Email: l.Email, Subject: l.Subject, Primary: l.Primary})
		}
	}
	for i := range out {
		if !out[i].Stored {
			_, err := r.creds.Get(ctx, out[i].Email)
			out[i].Stored = err == nil
		}
	}
	slices.SortStableFunc(out, func(a, b Account) int {
		if a.Primary != b.Primary {
			if a.Primary {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Email, b.Email)
	})
	return out, nil
}
