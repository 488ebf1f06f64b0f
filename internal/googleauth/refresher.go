// Package googleauth owns the bridge between the upstream OpenID client and the Google API
// client factory: refreshing an account's Google token through the upstream, with the
// upstream's error classes mapped to the factory's (a revoked grant needs re-authorization,
// an outage is temporary).
package googleauth

import (
	"context"
	"errors"

	"github.com/gwmcp/gwmcp/internal/secret"
	"github.com/gwmcp/gwmcp/internal/upstream"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// TokenRefresher is the part of the upstream client a refresh needs.
type TokenRefresher interface {
	Refresh(ctx context.Context, refreshToken secret.String) (upstream.Tokens, error)
}

// Refresher adapts the upstream client to workspace.Refresher.
func Refresher(p TokenRefresher) workspace.Refresher { return refresher{p} }

type refresher struct{ p TokenRefresher }

func (r refresher) Refresh(ctx context.Context, rt secret.String) (workspace.Token, error) {
	t, err := r.p.Refresh(ctx, rt)
	switch {
	case errors.Is(err, upstream.ErrInvalidGrant):
		return workspace.Token{}, errors.Join(workspace.ErrReauthRequired, err)
	case errors.Is(err, upstream.ErrUnavailable):
		return workspace.Token{}, errors.Join(workspace.ErrUnavailable, err)
	case err != nil:
		return workspace.Token{}, err
	}
	tok := workspace.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, Expiry: t.Expiry, Scopes: t.Scopes}
	if t.RefreshToken.Reveal() != rt.Reveal() {
		tok.RefreshToken = t.RefreshToken // rotated (Google does not, other providers may)
	}
	return tok, nil
}
