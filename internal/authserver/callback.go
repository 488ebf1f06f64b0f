package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gwmcp/gwmcp/internal/upstream"
)

// consentRecord remembers what a person approved for a client.
type consentRecord struct {
	Email   string    `json:"email"`
	Scopes  []string  `json:"scopes"`
	Updated time.Time `json:"updated"`
}

// personRecord is what the authorization server itself knows about a person.
type personRecord struct {
	Email string `json:"email"`
	// HasRefresh: the provider has issued a refresh token for this person at least once
	// (so a login without consent screen is enough).
	HasRefresh bool      `json:"has_refresh,omitempty"`
	LastLogin  time.Time `json:"last_login"`
}

// codeRecord is an issued authorization code (keyed by the hash of the code). It stays
// after redemption, marked Used, until it expires: a second redemption revokes the grant.
type codeRecord struct {
	Request  authRequest `json:"request"`
	Subject  string      `json:"sub"`
	Email    string      `json:"email"`
	FamilyID string      `json:"gid"`
	IssuedAt time.Time   `json:"iat"`
	Used     bool        `json:"used,omitempty"`
}

const (
	consentTTL = 365 * 24 * time.Hour
	personTTL  = 365 * 24 * time.Hour
)

func consentKey(sub, clientID string) string {
	return prefixConsent + subjectKey(sub) + "/" + clientKey(clientID)
}

func (s *Server) loadConsent(ctx context.Context, sub, clientID string) (consentRecord, bool) {
	var c consentRecord
	if err := s.getJSON(ctx, consentKey(sub, clientID), &c); err != nil {
		if !isNotFound(err) {
			s.log.WarnContext(ctx, "authserver: read consent", "error", err)
		}
		return c, false
	}
	return c, true
}

// handleCallback serves GET /oauth2callback, where the identity provider sends the
// browser back. The state is single-use and must come back to the browser that started
// the login (the binding cookie); otherwise the page shows an error and nobody is
// redirected anywhere.
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" || len(state) > 256 || len(q["state"]) > 1 {
		errorPage(w, http.StatusBadRequest, "The identity provider's answer has no valid state.")
		return
	}
	raw, err := s.st.Take(ctx, prefixState+hashKey(state))
	if err != nil {
		if !isNotFound(err) {
			s.log.ErrorContext(ctx, "authserver: take login state", "error", err)
		}
		errorPage(w, http.StatusBadRequest, "This login has expired or was already completed. Start again from the application.")
		return
	}
	var st stateRecord
	if err := json.Unmarshal(raw, &st); err != nil {
		errorPage(w, http.StatusBadRequest, "This login cannot be completed. Start again from the application.")
		return
	}
	cookieName := bindCookieName(state)
	bind := s.cookie(r, cookieName)
	s.clearCookie(w, cookieName)
	browser := s.cookie(r, cookieBrowser)
	if !hashEqual(bind, st.BindHash) || !hashEqual(browser, st.BrowserHash) {
		s.log.WarnContext(ctx, "authserver: login returned to a browser that did not start it", "client_id", st.Request.ClientID)
		errorPage(w, http.StatusBadRequest, "This login was started in another browser, or its cookie is missing. Start again from the application.")
		return
	}
	client, err := s.lookupClient(ctx, st.Request.ClientID)
	if err != nil {
		errorPage(w, http.StatusBadRequest, "The application is no longer registered.")
		return
	}
	resp := authResponse{s: s, redirectURI: st.Request.RedirectURI, state: st.Request.State}
	if e := q.Get("error"); e != "" {
		s.log.InfoContext(ctx, "authserver: the identity provider refused the login", "error_code", truncate(safeDescription(e), 40))
		switch e {
		case "access_denied":
			resp.fail(w, r, "access_denied", "The person did not allow access.")
		case "temporarily_unavailable", "server_error":
			resp.fail(w, r, "temporarily_unavailable", "The identity provider is unavailable; try again later.")
		default:
			resp.fail(w, r, "server_error", "The login with the identity provider failed.")
		}
		return
	}
	code := q.Get("code")
	if code == "" {
		resp.fail(w, r, "server_error", "The identity provider sent no authorization code.")
		return
	}
	toks, err := s.cfg.Upstream.Exchange(ctx, code, st.Verifier, st.Nonce, s.cfg.CallbackURL)
	if err != nil {
		s.log.ErrorContext(ctx, "authserver: exchange the identity provider's code", "error", err)
		if errors.Is(err, upstream.ErrUnavailable) {
			resp.fail(w, r, "temporarily_unavailable", "The identity provider is unavailable; try again later.")
		} else {
			resp.fail(w, r, "server_error", "The login with the identity provider failed.")
		}
		return
	}
	id := toks.Identity
	if id.Subject == "" {
		resp.fail(w, r, "server_error", "The identity provider did not identify the person.")
		return
	}
	if id.Email == "" || !id.EmailVerified {
		resp.fail(w, r, "access_denied", "The account has no verified email address.")
		return
	}

	person := s.loadPerson(ctx, id.Subject)
	if toks.RefreshToken.IsZero() && !person.HasRefresh && !st.ForceConsent {
		// The provider skipped its consent screen, so no refresh token came, and we never
		// had one for this person: go round once more asking for consent.
		s.log.InfoContext(ctx, "authserver: no refresh token for this person yet, asking the provider for consent")
		req := st.Request
		req.LoginHint = id.Email
		s.startUpstream(w, r, req, browser, st.Remembered, true)
		return
	}

	granted := st.Request.Scopes
	if toks.Scopes != nil {
		granted = s.narrowTo(st.Request.Scopes, toks.Scopes)
	}
	if st.Remembered {
		c, ok := s.loadConsent(ctx, id.Subject, client.ID)
		covered := ok
		for _, sc := range st.Request.Scopes {
			covered = covered && s.scopes.Satisfies(c.Scopes, sc)
		}
		if !covered {
			// The consent page was skipped for this browser, but the person who logged in
			// has not approved this client: ask them now.
			s.showConsent(w, r, client, st.Request, browser, id.Email, "")
			return
		}
	}

	if err := s.cfg.Accounts.SaveLogin(ctx, Login{ClientID: client.ID, Identity: id, Tokens: toks}); err != nil {
		s.log.ErrorContext(ctx, "authserver: save login", "error", err)
		resp.fail(w, r, "server_error", "The login could not be saved.")
		return
	}
	now := s.cfg.Now().UTC()
	person.Email, person.LastLogin = id.Email, now
	person.HasRefresh = person.HasRefresh || !toks.RefreshToken.IsZero()
	if err := s.putJSON(ctx, prefixPerson+subjectKey(id.Subject), &person, personTTL); err != nil {
		s.log.WarnContext(ctx, "authserver: save person", "error", err)
	}
	if err := updateJSON(ctx, s.st, consentKey(id.Subject, client.ID), func(c *consentRecord, _ bool) (time.Duration, error) {
		c.Email, c.Updated = id.Email, now
		for _, sc := range granted {
			if !slices.Contains(c.Scopes, sc) {
				c.Scopes = append(c.Scopes, sc)
			}
		}
		return consentTTL, nil
	}); err != nil {
		s.log.WarnContext(ctx, "authserver: save consent", "error", err)
	}
	s.rememberBrowser(ctx, browser, client.ID, id.Subject)

	authCode, e1 := s.random(32)
	gid, e2 := s.random(16)
	if err := errors.Join(e1, e2); err != nil {
		resp.fail(w, r, "server_error", "The server could not issue a code.")
		return
	}
	req := st.Request
	req.Scopes = granted
	rec := codeRecord{Request: req, Subject: id.Subject, Email: id.Email, FamilyID: gid, IssuedAt: now}
	if err := s.putJSON(ctx, prefixCode+hashKey(authCode), &rec, s.cfg.CodeTTL); err != nil {
		s.log.ErrorContext(ctx, "authserver: store authorization code", "error", err)
		resp.fail(w, r, "server_error", "The server could not issue a code.")
		return
	}
	s.log.InfoContext(ctx, "authserver: authorization code issued", "client_id", client.ID, "grant", gid, "scopes", len(granted))
	resp.send(w, r, url.Values{"code": {authCode}})
}

func (s *Server) loadPerson(ctx context.Context, sub string) personRecord {
	var p personRecord
	if err := s.getJSON(ctx, prefixPerson+subjectKey(sub), &p); err != nil && !isNotFound(err) {
		s.log.WarnContext(ctx, "authserver: read person", "error", err)
	}
	return p
}
