package authserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
)

// familyRecord is a grant: what one authorization gave one client for one person. Every
// access and refresh token issued from it names it (gid), so revoking it ends them all.
// A token whose family record is missing is refused.
type familyRecord struct {
	ID        string    `json:"id"`
	Subject   string    `json:"sub"`
	Email     string    `json:"email"`
	ClientID  string    `json:"client_id"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created"`
	Revoked   bool      `json:"revoked,omitempty"`
	// RevokedTokens lists revoked access token ids with their expiry (unix seconds).
	RevokedTokens map[string]int64 `json:"revoked_tokens,omitempty"`
}

// refreshRecord is one refresh token (stored under the hash of the token).
type refreshRecord struct {
	FamilyID  string    `json:"gid"`
	Subject   string    `json:"sub"`
	ClientID  string    `json:"client_id"`
	Scopes    []string  `json:"scopes"`
	IssuedAt  time.Time `json:"iat"`
	Rotated   bool      `json:"rotated,omitempty"`
	RotatedAt time.Time `json:"rotated_at,omitzero"`
}

var errFamilyRevoked = errors.New("grant revoked")

// familyTTL is how long a family lives without use: as long as its refresh tokens, and
// at least as long as its access tokens.
func (s *Server) familyTTL() time.Duration {
	return max(s.cfg.RefreshTokenTTL, s.cfg.AccessTokenTTL) + clockSkew
}

// createFamily stores a new family. It fails with errFamilyRevoked when the family was
// revoked before it existed (a code reused while its first redemption was under way).
func (s *Server) createFamily(ctx context.Context, f *familyRecord) error {
	return updateJSON(ctx, s.st, familyKey(f.Subject, f.ID), func(cur *familyRecord, exists bool) (time.Duration, error) {
		if exists {
			return 0, errFamilyRevoked
		}
		*cur = *f
		return s.familyTTL(), nil
	})
}

// touchFamily extends a family's life on refresh, failing if it is revoked or gone.
func (s *Server) touchFamily(ctx context.Context, sub, gid string) (familyRecord, error) {
	var out familyRecord
	err := updateJSON(ctx, s.st, familyKey(sub, gid), func(cur *familyRecord, exists bool) (time.Duration, error) {
		if !exists || cur.Revoked {
			return 0, errFamilyRevoked
		}
		out = *cur
		return s.familyTTL(), nil
	})
	return out, err
}

// revokeFamily marks a family revoked (creating a revoked tombstone if it does not exist
// yet) and publishes the revocation. The tombstone outlives every access token.
func (s *Server) revokeFamily(ctx context.Context, sub, gid, reason string) error {
	err := updateJSON(ctx, s.st, familyKey(sub, gid), func(cur *familyRecord, exists bool) (time.Duration, error) {
		if exists && cur.Revoked {
			return 0, store.ErrSkip
		}
		if !exists {
			cur.ID, cur.Subject = gid, sub
		}
		cur.Revoked = true
		cur.RevokedTokens = nil
		return s.cfg.AccessTokenTTL + 2*clockSkew, nil
	})
	if err != nil {
		return fmt.Errorf("authserver: revoke grant: %w", err)
	}
	s.bumpEpoch(ctx)
	s.log.InfoContext(ctx, "authserver: grant revoked", "grant", gid, "reason", reason)
	return nil
}

// revokeAccessToken revokes one access token until it expires.
func (s *Server) revokeAccessToken(ctx context.Context, c accessClaims) error {
	now := s.cfg.Now().Unix()
	err := updateJSON(ctx, s.st, familyKey(c.Subject, c.FamilyID), func(cur *familyRecord, exists bool) (time.Duration, error) {
		if !exists || cur.Revoked {
			return 0, store.ErrSkip
		}
		m := maps.Clone(cur.RevokedTokens)
		if m == nil {
			m = map[string]int64{}
		}
		for id, exp := range m {
			if exp+int64(clockSkew/time.Second) < now {
				delete(m, id)
			}
		}
		m[c.ID] = c.Expiry
		cur.RevokedTokens = m
		return store.KeepTTL, nil
	})
	if err != nil {
		return fmt.Errorf("authserver: revoke access token: %w", err)
	}
	s.bumpEpoch(ctx)
	return nil
}
