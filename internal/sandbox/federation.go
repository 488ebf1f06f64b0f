package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Federation lets the sandbox's Workspace APIs accept access tokens of another OpenID
// provider, for end-to-end tests whose Google login is a real provider (npm oidc-provider)
// while the APIs are the sandbox's. An unknown bearer token is shown to the provider's
// userinfo endpoint; when it answers with the email of a sandbox account, the token acts as
// that account with the scopes the provider's introspection-free answer cannot tell, so the
// scopes claimed in the userinfo "scope" member if present, else every scope. Answers are
// cached for a minute. Off unless SetTrustedUserinfo is called.
type federation struct {
	mu       sync.Mutex
	userinfo string
	client   *http.Client
	cache    map[string]fedEntry
}

type fedEntry struct {
	grant Grant
	ok    bool
	at    time.Time
}

// SetTrustedUserinfo makes the Workspace APIs accept access tokens that url (another
// provider's userinfo endpoint) vouches for. Empty turns it off.
func (s *Sandbox) SetTrustedUserinfo(url string) {
	s.fed.mu.Lock()
	defer s.fed.mu.Unlock()
	s.fed.userinfo = url
	s.fed.client = &http.Client{Timeout: 5 * time.Second}
	s.fed.cache = map[string]fedEntry{}
}

// federated resolves a token through the trusted userinfo endpoint.
func (s *Sandbox) federated(token string) (Grant, bool) {
	s.fed.mu.Lock()
	url, client := s.fed.userinfo, s.fed.client
	if e, ok := s.fed.cache[token]; ok && s.now().Sub(e.at) < time.Minute {
		s.fed.mu.Unlock()
		return e.grant, e.ok
	}
	s.fed.mu.Unlock()
	if url == "" {
		return Grant{}, false
	}
	g, ok := s.askUserinfo(client, url, token)
	s.fed.mu.Lock()
	if s.fed.cache != nil {
		s.fed.cache[token] = fedEntry{grant: g, ok: ok, at: s.now()}
	}
	s.fed.mu.Unlock()
	return g, ok
}

func (s *Sandbox) askUserinfo(client *http.Client, url, token string) (Grant, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Grant{}, false
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return Grant{}, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Grant{}, false
	}
	var info struct {
		Email string `json:"email"`
		Scope string `json:"scope"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&info); err != nil || info.Email == "" {
		return Grant{}, false
	}
	s.mu.Lock()
	a := s.account(info.Email)
	s.mu.Unlock()
	if a == nil {
		return Grant{}, false
	}
	g := Grant{Email: a.Email, Sub: a.Sub, Expiry: s.now().Add(time.Minute)}
	if info.Scope != "" {
		g.Scopes = strings.Fields(info.Scope)
	} else {
		g.Scopes = allAPIScopes()
	}
	return g, true
}

// allAPIScopes are the full-access scopes of every fake API (a federated token without a
// scope claim may do what the APIs allow).
func allAPIScopes() []string {
	return []string{"https://www.googleapis.com/auth/drive", "https://mail.google.com/", "https://www.googleapis.com/auth/calendar",
		"https://www.googleapis.com/auth/gmail.settings.basic", "https://www.googleapis.com/auth/gmail.settings.sharing"}
}
