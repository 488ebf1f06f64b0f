package authserver

import (
	"context"
	"net/http"
	"time"
)

// Cookie names. With SecureCookies they carry the __Host- prefix, which browsers accept
// only when Secure, Path=/ and no Domain: the cookie cannot be set by a sibling host.
const (
	cookieBrowser    = "gwmcp_browser"
	cookieBindPrefix = "gwmcp_bind_"
)

func (s *Server) cookieName(base string) string {
	if s.cfg.SecureCookies {
		return "__Host-" + base
	}
	return base
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(name), Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(name), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(s.cookieName(name))
	if err != nil || len(c.Value) > 128 {
		return ""
	}
	return c.Value
}

// bindCookieName names the browser-binding cookie of one upstream state, so that
// several logins in one browser do not overwrite each other's cookie.
func bindCookieName(state string) string { return cookieBindPrefix + hashKey(state)[:16] }

// hashEqual compares the hash of a presented secret with a stored hash in constant time.
func hashEqual(presented string, stored []byte) bool {
	return presented != "" && secretMatches(presented, stored)
}

// browserRecord is what gwmcp remembers about one browser (keyed by the hash of its
// long-lived random id cookie).
type browserRecord struct {
	// Clients maps a client id to the subject who approved it in this browser.
	Clients map[string]string `json:"clients,omitempty"`
	// Subjects are the people who logged in from this browser.
	Subjects []string `json:"subjects,omitempty"`
}

// browserID returns this browser's id, setting a new cookie when it has none.
func (s *Server) browserID(w http.ResponseWriter, r *http.Request) (string, error) {
	if id := s.cookie(r, cookieBrowser); id != "" {
		return id, nil
	}
	id, err := s.random(32)
	if err != nil {
		return "", err
	}
	s.setCookie(w, cookieBrowser, id, browserTTL)
	return id, nil
}

func (s *Server) loadBrowser(ctx context.Context, id string) browserRecord {
	var b browserRecord
	if id == "" {
		return b
	}
	if err := s.getJSON(ctx, prefixBrowser+hashKey(id), &b); err != nil && !isNotFound(err) {
		s.log.WarnContext(ctx, "authserver: read browser record", "error", err)
	}
	return b
}

// rememberBrowser records that subject logged in and approved clientID from browser id.
func (s *Server) rememberBrowser(ctx context.Context, id, clientID, subject string) {
	if id == "" {
		return
	}
	err := updateJSON(ctx, s.st, prefixBrowser+hashKey(id), func(b *browserRecord, _ bool) (time.Duration, error) {
		if b.Clients == nil {
			b.Clients = map[string]string{}
		}
		b.Clients[clientID] = subject
		if len(b.Clients) > 200 { // bound the record: forget an arbitrary old approval
			for k := range b.Clients {
				if k != clientID {
					delete(b.Clients, k)
					break
				}
			}
		}
		found := false
		for _, sub := range b.Subjects {
			found = found || sub == subject
		}
		if !found {
			b.Subjects = append(b.Subjects, subject)
			if len(b.Subjects) > 20 {
				b.Subjects = b.Subjects[1:]
			}
		}
		return browserTTL, nil
	})
	if err != nil {
		s.log.WarnContext(ctx, "authserver: remember browser", "error", err)
	}
}
