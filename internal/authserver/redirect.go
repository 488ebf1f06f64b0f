package authserver

import (
	"errors"
	"net/url"
	"strings"
)

// Limits on redirect URIs.
const (
	maxRedirectURIs   = 20
	maxRedirectURILen = 2048
)

// deniedSchemes are never accepted as private-use redirect schemes: browser-dangerous
// ones and well-known schemes that are not an app's.
var deniedSchemes = map[string]bool{
	"javascript": true, "data": true, "file": true, "vbscript": true, "about": true, "blob": true,
	"filesystem": true, "view-source": true, "livescript": true, "mocha": true, "jar": true,
	"ftp": true, "ftps": true, "sftp": true, "ws": true, "wss": true, "mailto": true, "tel": true,
	"sms": true, "urn": true, "resource": true, "chrome": true, "chrome-extension": true,
	"moz-extension": true, "ms-browser-extension": true, "intent": true, "content": true,
	"ldap": true, "gopher": true, "telnet": true, "ssh": true, "smb": true, "nfs": true,
	"http": true, "https": true,
}

// redirectKind says how a redirect URI is matched and what application it implies.
type redirectKind int

const (
	redirectWeb      redirectKind = iota // https
	redirectLoopback                     // http on a loopback host: the port may vary
	redirectNative                       // private-use scheme
)

var errRedirect = errors.New("invalid redirect URI")

// redirectError describes why a redirect URI is refused; its text is safe to show.
type redirectError struct{ reason string }

func (e *redirectError) Error() string { return "invalid redirect URI: " + e.reason }
func (e *redirectError) Unwrap() error { return errRedirect }

// validateRedirectURI checks one redirect URI against gwmcp's rules (see the package
// documentation). ownOrigin is gwmcp's own scheme://host[:port]: no client may redirect
// there.
func validateRedirectURI(raw, ownOrigin string) (redirectKind, error) {
	bad := func(reason string) (redirectKind, error) { return 0, &redirectError{reason} }
	if raw == "" {
		return bad("empty")
	}
	if len(raw) > maxRedirectURILen {
		return bad("too long")
	}
	for _, c := range raw {
		if c <= 0x20 || c == 0x7f || c == '\\' || c == '#' || c > 0x7e {
			return bad("it contains whitespace, a control character, a backslash, a fragment or non-ASCII text")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("not a valid URL")
	}
	if u.Scheme == "" || !u.IsAbs() {
		return bad("not an absolute URI")
	}
	if u.User != nil || strings.Contains(u.Host, "@") {
		return bad("user info is not allowed")
	}
	if u.Opaque != "" {
		return bad("opaque URIs are not allowed")
	}
	scheme := u.Scheme // url.Parse lower-cases it
	switch scheme {
	case "https", "http":
		host := u.Hostname()
		if host == "" {
			return bad("a host is required")
		}
		if strings.Contains(u.Host, "%") {
			return bad("escaped hosts and zone identifiers are not allowed")
		}
		if port := u.Port(); port != "" && !validPort(port) {
			return bad("invalid port")
		}
		if sameOrigin(u, ownOrigin) {
			return bad("it points at this server")
		}
		if scheme == "https" {
			return redirectWeb, nil
		}
		if !isLoopbackHost(host) {
			return bad("http is allowed only on a loopback host (127.0.0.1, [::1] or localhost); use https")
		}
		return redirectLoopback, nil
	default:
		if deniedSchemes[scheme] {
			return bad("the " + scheme + " scheme is not allowed")
		}
		if len(scheme) < 3 {
			return bad("private-use schemes must be at least three characters (a reverse domain name is recommended)")
		}
		if u.Host == "" && u.Path == "" {
			return bad("a private-use URI needs a path")
		}
		return redirectNative, nil
	}
}

func validPort(p string) bool {
	if len(p) > 5 {
		return false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n > 0 && n < 65536
}

// isLoopbackHost accepts exactly the loopback names RFC 8252 allows.
func isLoopbackHost(h string) bool {
	return h == "127.0.0.1" || h == "::1" || h == "localhost"
}

// sameOrigin reports whether u has the origin own (scheme://host[:port]), with default
// ports normalized.
func sameOrigin(u *url.URL, own string) bool {
	o, err := url.Parse(own)
	if err != nil {
		return false
	}
	port := func(x *url.URL) string {
		if p := x.Port(); p != "" {
			return p
		}
		if x.Scheme == "https" {
			return "443"
		}
		return "80"
	}
	return u.Scheme == o.Scheme && strings.EqualFold(u.Hostname(), o.Hostname()) && port(u) == port(o)
}

// matchRedirectURI returns the registered URI that requested matches: the same string,
// or, for an http loopback URI, the same URI with another port (RFC 8252 section 7.3).
func matchRedirectURI(registered []string, requested, ownOrigin string) bool {
	for _, r := range registered {
		if r == requested {
			return true
		}
	}
	kind, err := validateRedirectURI(requested, ownOrigin)
	if err != nil || kind != redirectLoopback {
		return false
	}
	want, ok := loopbackWithoutPort(requested)
	if !ok {
		return false
	}
	for _, r := range registered {
		if got, ok := loopbackWithoutPort(r); ok && got == want {
			return true
		}
	}
	return false
}

// loopbackWithoutPort returns an http loopback URI with its port removed and
// everything else byte for byte, or false for any other URI.
func loopbackWithoutPort(raw string) (string, bool) {
	rest, ok := strings.CutPrefix(raw, "http://")
	if !ok {
		return "", false
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	host := authority
	if strings.HasPrefix(authority, "[") {
		i := strings.Index(authority, "]")
		if i < 0 {
			return "", false
		}
		host = authority[:i+1]
		if p := authority[i+1:]; p != "" && (p[0] != ':' || !validPort(p[1:])) {
			return "", false
		}
	} else if i := strings.IndexByte(authority, ':'); i >= 0 {
		host = authority[:i]
		if !validPort(authority[i+1:]) {
			return "", false
		}
	}
	if !isLoopbackHost(strings.Trim(host, "[]")) {
		return "", false
	}
	return "http://" + host + tail, true
}
