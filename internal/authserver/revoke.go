package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// handleRevoke serves POST /oauth/revoke (RFC 7009). The answer is 200 for any token
// the client may name, including unknown ones and tokens of other clients (which are
// left alone).
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if oerr := parseForm(w, r); oerr != nil {
		oerr.write(w)
		return
	}
	client, oerr := s.authenticateClient(r)
	if oerr != nil {
		oerr.write(w)
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		errInvalidRequest("token is required.").write(w)
		return
	}
	ctx := r.Context()
	var err error
	if strings.HasPrefix(tok, refreshTokenPrefix) {
		err = s.revokeRefreshToken(ctx, client, tok)
	} else if len(tok) <= maxTokenLen {
		err = s.revokeAccess(ctx, client, tok)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "authserver: revoke token", "error", err)
		errServer().write(w)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) revokeRefreshToken(ctx context.Context, client *clientRecord, tok string) error {
	var rec refreshRecord
	if err := s.getJSON(ctx, prefixRefresh+hashKey(tok), &rec); err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	if rec.ClientID != client.ID {
		s.log.WarnContext(ctx, "authserver: client tried to revoke another client's token", "client_id", client.ID)
		return nil
	}
	return s.revokeFamily(ctx, rec.Subject, rec.FamilyID, "refresh token revoked by the client")
}

func (s *Server) revokeAccess(ctx context.Context, client *clientRecord, tok string) error {
	c, err := s.parseAccessToken(ctx, tok)
	if err != nil {
		return nil // not one of ours: nothing to do
	}
	if c.ClientID != client.ID {
		s.log.WarnContext(ctx, "authserver: client tried to revoke another client's token", "client_id", client.ID)
		return nil
	}
	if !s.cfg.Now().Before(time.Unix(c.Expiry, 0).Add(clockSkew)) {
		return nil
	}
	s.log.InfoContext(ctx, "authserver: access token revoked by the client", "client_id", client.ID, "grant", c.FamilyID)
	return s.revokeAccessToken(ctx, c)
}

// Report counts what RevokeAll or RevokeSubject removed.
type Report struct {
	Grants          int // grant families (every access and refresh token of them)
	RefreshTokens   int
	Codes           int
	PendingRequests int // consent pages and upstream logins in progress
	Consents        int
}

// RevokeAll is the emergency switch: every grant, refresh token, authorization code,
// pending request, login in progress and remembered consent is removed, so every access
// token is refused at once on this instance and within RevocationPollInterval on the
// others. Registered clients and signing keys stay.
func (s *Server) RevokeAll(ctx context.Context) (Report, error) {
	var rep Report
	var errs []error
	for _, p := range []struct {
		prefix string
		n      *int
	}{
		{prefixFamily, &rep.Grants}, {prefixRefresh, &rep.RefreshTokens}, {prefixCode, &rep.Codes},
		{prefixPending, &rep.PendingRequests}, {prefixState, &rep.PendingRequests}, {prefixConsent, &rep.Consents},
		{prefixBrowser, nil},
	} {
		n, err := s.deletePrefix(ctx, p.prefix)
		if p.n != nil {
			*p.n += n
		}
		errs = append(errs, err)
	}
	s.bumpEpoch(ctx)
	s.log.WarnContext(ctx, "authserver: every grant revoked", "grants", rep.Grants, "refresh_tokens", rep.RefreshTokens,
		"codes", rep.Codes)
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("authserver: revoke all: %w", err)
	}
	return rep, nil
}

// RevokeSubject revokes every grant and remembered consent of one person (by upstream
// subject); other people are untouched.
func (s *Server) RevokeSubject(ctx context.Context, subject string) (Report, error) {
	var rep Report
	n, err1 := s.deletePrefix(ctx, prefixFamily+subjectKey(subject)+"/")
	rep.Grants = n
	n, err2 := s.deletePrefix(ctx, prefixConsent+subjectKey(subject)+"/")
	rep.Consents = n
	s.bumpEpoch(ctx)
	if err := errors.Join(err1, err2); err != nil {
		return rep, fmt.Errorf("authserver: revoke subject: %w", err)
	}
	s.log.InfoContext(ctx, "authserver: grants of a person revoked", "grants", rep.Grants)
	return rep, nil
}

func (s *Server) deletePrefix(ctx context.Context, prefix string) (int, error) {
	keys, err := s.st.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, k := range keys {
		if err := s.st.Delete(ctx, k); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// revokeWhere revokes every family for which match is true (a scan; used when a client
// is deleted).
func (s *Server) revokeWhere(ctx context.Context, match func(*familyRecord) bool) (int, error) {
	keys, err := s.st.List(ctx, prefixFamily)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		b, err := s.st.Get(ctx, k)
		if err != nil {
			continue
		}
		var f familyRecord
		if json.Unmarshal(b, &f) != nil || f.Revoked || !match(&f) {
			continue
		}
		if err := s.revokeFamily(ctx, f.Subject, f.ID, "client deleted"); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
