package sandbox

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/gwmcp/gwmcp/internal/secret"
)

// Client is an OAuth client registered with the sandbox, like an OAuth client
// of a Google Cloud project.
type Client struct {
	// ID is the client_id, for example "sandbox-client.apps.googleusercontent.com".
	ID string
	// Secret is the client_secret. An empty secret makes a public client that
	// authenticates with its client_id alone.
	Secret secret.String
	// RedirectURIs are the authorized redirect URIs, matched exactly.
	RedirectURIs []string
	// Desktop marks a Google "Desktop app" client: besides RedirectURIs, any
	// http loopback redirect (127.0.0.1, [::1] or localhost, any port and path)
	// is accepted, as Google does for installed applications.
	Desktop bool
}

// AddClient registers c, replacing any client with the same ID.
func (s *Sandbox) AddClient(c Client) error {
	if c.ID == "" {
		return errors.New("sandbox: add client: ID is required")
	}
	if len(c.RedirectURIs) == 0 && !c.Desktop {
		return fmt.Errorf("sandbox: add client %s: a web client needs at least one redirect URI", c.ID)
	}
	for _, u := range c.RedirectURIs {
		p, err := url.Parse(u)
		if err != nil || p.Scheme == "" || p.Host == "" || p.Fragment != "" {
			return fmt.Errorf("sandbox: add client %s: invalid redirect URI %q", c.ID, u)
		}
	}
	c.RedirectURIs = append([]string(nil), c.RedirectURIs...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.ID] = c
	return nil
}

// allowsRedirect reports whether uri is one of the client's redirect URIs.
func (c Client) allowsRedirect(uri string) bool {
	for _, u := range c.RedirectURIs {
		if u == uri {
			return true
		}
	}
	if !c.Desktop {
		return false
	}
	p, err := url.Parse(uri)
	if err != nil || p.Scheme != "http" || p.Fragment != "" {
		return false
	}
	host := p.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// authenticateClient applies client_secret_basic or client_secret_post to a
// token request whose form is parsed. Callers hold s.mu.
func (s *Sandbox) authenticateClient(r *http.Request) (Client, *oauthError) {
	id, sec, basic := r.BasicAuth()
	if basic {
		// RFC 6749 section 2.3.1: both parts are form-encoded before base64.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		sec, err2 = url.QueryUnescape(sec)
		if err1 != nil || err2 != nil {
			return Client{}, &oauthError{status: http.StatusBadRequest, code: "invalid_request",
				description: "Malformed client credentials."}
		}
		if postID := r.PostForm.Get("client_id"); postID != "" && postID != id {
			return Client{}, &oauthError{status: http.StatusBadRequest, code: "invalid_request",
				description: "client_id in the body does not match the Authorization header."}
		}
	} else {
		id, sec = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" {
		return Client{}, &oauthError{status: http.StatusBadRequest, code: "invalid_request",
			description: "Could not determine client ID from request."}
	}
	c, ok := s.clients[id]
	if !ok {
		return Client{}, &oauthError{status: http.StatusUnauthorized, code: "invalid_client",
			description: "The OAuth client was not found.", basic: basic}
	}
	if subtle.ConstantTimeCompare([]byte(sec), []byte(c.Secret.Reveal())) != 1 {
		return Client{}, &oauthError{status: http.StatusUnauthorized, code: "invalid_client",
			description: "Unauthorized", basic: basic}
	}
	return c, nil
}
