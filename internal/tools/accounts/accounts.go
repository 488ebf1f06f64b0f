// Package accounts owns the MCP tools about the caller's own Google accounts (flow 2 and the
// resolver's bookkeeping): start_google_auth, check_auth_status, list_google_accounts,
// switch_google_account, revoke_google_account and manage_credentials. Every tool acts only
// on the caller's own accounts; another principal's accounts are never listed, named or
// touched.
package accounts

import (
	"context"
	"time"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/secret"
	"github.com/gwmcp/gwmcp/internal/tools"
)

// Revoker revokes a Google token.
type Revoker interface {
	Revoke(ctx context.Context, token secret.String) error
}

// ClientCache drops cached API clients of an account.
type ClientCache interface{ Clear(email string) int }

// Deps is what the account tools need.
type Deps struct {
	Tools       *tools.Deps // principal of a call, client logs
	Resolver    *identity.Resolver
	Directory   *identity.Directory
	Sessions    *identity.Sessions // nil on stdio
	Linker      *identity.Linker
	Credentials *credentials.Store
	Scopes      *scopes.Registry
	Revoker     Revoker
	Clients     ClientCache
	// Local is true on stdio: links complete on a loopback listener, the default account is
	// kept in LocalDefault, and OpenBrowser may open the authorization URL.
	Local        bool
	LocalDefault *identity.LocalDefault
	OpenBrowser  func(url string) error
	// LinkTimeout bounds a desktop link (default 10 minutes).
	LinkTimeout time.Duration
}

// Register adds the account tools.
func Register(r *tools.Registry, d *Deps) {
	if d.LinkTimeout == 0 {
		d.LinkTimeout = 10 * time.Minute
	}
	registerAuth(r, d)
	registerStatus(r, d)
	registerManage(r, d)
}
