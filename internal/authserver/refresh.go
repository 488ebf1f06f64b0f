package authserver

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
)

var errReuse = errors.New("refresh token reused")

// refreshGrant rotates a refresh token. See the package documentation for the rules on
// reuse, the grace window and an unavailable upstream.
func (s *Server) refreshGrant(r *http.Request, client *clientRecord) (*tokenResponse, *oauthError) {
	ctx := r.Context()
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		return nil, errInvalidRequest("refresh_token is required.")
	}
	bad := errInvalidGrant("The refresh token is invalid, expired or revoked.")
	if len(rt) > 256 {
		return nil, bad
	}
	if r.PostForm.Has("resource") && !s.resourceMatches(r.PostForm.Get("resource")) {
		return nil, &oauthError{status: http.StatusBadRequest, code: "invalid_target",
			desc: "This server issues tokens only for the resource " + s.cfg.Resource + "."}
	}
	if !client.allowsGrant(grantRefr) {
		return nil, &oauthError{status: http.StatusBadRequest, code: "unauthorized_client",
			desc: "The client is not registered for the refresh_token grant."}
	}
	key := prefixRefresh + hashKey(rt)
	var rec refreshRecord
	if err := s.getJSON(ctx, key, &rec); err != nil {
		if !isNotFound(err) {
			s.log.ErrorContext(ctx, "authserver: read refresh token", "error", err)
			return nil, errServer()
		}
		return nil, bad
	}
	if rec.ClientID != client.ID {
		s.log.WarnContext(ctx, "authserver: refresh token presented by another client", "client_id", client.ID)
		return nil, bad
	}
	now := s.cfg.Now()
	if rec.Rotated && now.Sub(rec.RotatedAt) > s.cfg.RefreshGrace {
		s.reuseDetected(r, rec)
		return nil, bad
	}
	scope := rec.Scopes
	if r.PostForm.Has("scope") {
		asked, err := s.resolveScope(r.PostForm.Get("scope"))
		if err != nil {
			return nil, &oauthError{status: http.StatusBadRequest, code: "invalid_scope", desc: err.Error()}
		}
		for _, sc := range asked {
			if !s.scopes.Satisfies(rec.Scopes, sc) {
				return nil, &oauthError{status: http.StatusBadRequest, code: "invalid_scope",
					desc: "The requested scope exceeds the scope of the grant."}
			}
		}
		scope = asked
	}
	f, err := s.touchFamily(ctx, rec.Subject, rec.FamilyID)
	if err != nil {
		if errors.Is(err, errFamilyRevoked) {
			return nil, bad
		}
		s.log.ErrorContext(ctx, "authserver: read grant", "error", err)
		return nil, errServer()
	}
	if err := s.cfg.Accounts.RefreshUpstream(ctx, f.Subject, f.Email); err != nil {
		if errors.Is(err, ErrUpstreamRevoked) {
			s.log.InfoContext(ctx, "authserver: upstream grant gone; revoking", "grant", f.ID)
			if err := s.revokeFamily(ctx, f.Subject, f.ID, "upstream grant revoked"); err != nil {
				s.log.ErrorContext(ctx, "authserver: revoke grant", "error", err)
			}
			return nil, errInvalidGrant("The Google authorization behind this token was revoked; authorize again.")
		}
		s.log.WarnContext(ctx, "authserver: refresh the upstream token", "error", err)
		return nil, errUnavailable()
	}
	// Rotate: the first rotation wins; a concurrent one within the grace window gets a
	// sibling; anything later is reuse.
	err = updateJSON(ctx, s.st, key, func(cur *refreshRecord, exists bool) (time.Duration, error) {
		if !exists {
			return 0, store.ErrNotFound
		}
		if cur.Rotated {
			if now.Sub(cur.RotatedAt) > s.cfg.RefreshGrace {
				return 0, errReuse
			}
			return 0, store.ErrSkip
		}
		cur.Rotated, cur.RotatedAt = true, now.UTC()
		return store.KeepTTL, nil
	})
	switch {
	case errors.Is(err, errReuse):
		s.reuseDetected(r, rec)
		return nil, bad
	case isNotFound(err):
		return nil, bad
	case err != nil:
		s.log.ErrorContext(ctx, "authserver: rotate refresh token", "error", err)
		return nil, errServer()
	}
	f.Scopes = slices.Clone(f.Scopes)
	resp, oerr := s.issueTokens(ctx, client, &f, scope, rec.Scopes)
	if oerr != nil {
		return nil, oerr
	}
	s.log.InfoContext(ctx, "authserver: tokens issued", "client_id", client.ID, "grant", f.ID, "grant_type", grantRefr)
	return resp, nil
}

// reuseDetected revokes the family of a refresh token used after it was rotated.
func (s *Server) reuseDetected(r *http.Request, rec refreshRecord) {
	ctx := r.Context()
	s.log.WarnContext(ctx, "authserver: refresh token reused after rotation; revoking its grant",
		"client_id", rec.ClientID, "grant", rec.FamilyID)
	if err := s.revokeFamily(ctx, rec.Subject, rec.FamilyID, "refresh token reused"); err != nil {
		s.log.ErrorContext(ctx, "authserver: revoke grant", "error", err)
	}
}
