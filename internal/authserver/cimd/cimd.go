// Package cimd owns the fetching of OAuth client ID metadata documents
// (draft-ietf-oauth-client-id-metadata-document): a client whose client_id is an https
// URL describes itself in a JSON document served at that URL.
//
// Fetching a URL chosen by an unauthenticated party is a server-side request forgery
// risk, so the default HTTP client (SafeClient) is strict: https only, no proxy, no
// redirects, a 5 s timeout, a 64 KiB size limit, and every connection's address checked
// at dial time (after DNS resolution, which defeats DNS rebinding) against loopback,
// private, link-local, CGNAT, multicast, unspecified, documentation, benchmarking,
// reserved and translation ranges, IPv4-mapped addresses included.
//
// The package checks the document's shape (client_id equal to the URL byte for byte,
// no client secret); redirect URI rules and client policy belong to the caller.
package cimd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Limits and cache bounds.
const (
	DefaultMaxBytes = 64 << 10
	DefaultTimeout  = 5 * time.Second
	MinCacheTTL     = 5 * time.Minute
	MaxCacheTTL     = 24 * time.Hour
	maxURLLen       = 2048
)

// Errors; compare with errors.Is.
var (
	ErrInvalidURL       = errors.New("cimd: client_id is not a valid metadata document URL")
	ErrForbiddenAddress = errors.New("cimd: the address is not public")
	ErrFetch            = errors.New("cimd: the metadata document could not be fetched")
	ErrTooLarge         = errors.New("cimd: the metadata document is too large")
	ErrInvalidDocument  = errors.New("cimd: the metadata document is invalid")
)

// Document is the part of a client metadata document gwmcp uses.
type Document struct {
	ClientID                string   `json:"client_id"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	Scope                   string   `json:"scope"`
	// ClientSecret must be empty; it is read only to refuse documents that have one.
	ClientSecret string `json:"client_secret"`
}

// Options configures a Fetcher.
type Options struct {
	// Client fetches documents; nil means SafeClient(Timeout). Tests inject a client
	// that trusts their TLS certificate and may reach loopback.
	Client *http.Client
	// MaxBytes bounds a document (default 64 KiB); Timeout bounds a fetch (default 5 s).
	MaxBytes int64
	Timeout  time.Duration
}

// Fetcher fetches and checks client metadata documents. It is safe for concurrent use.
type Fetcher struct {
	client   *http.Client
	maxBytes int64
	timeout  time.Duration
}

// New returns a Fetcher.
func New(opts Options) *Fetcher {
	f := &Fetcher{client: opts.Client, maxBytes: opts.MaxBytes, timeout: opts.Timeout}
	if f.maxBytes <= 0 {
		f.maxBytes = DefaultMaxBytes
	}
	if f.timeout <= 0 {
		f.timeout = DefaultTimeout
	}
	if f.client == nil {
		f.client = SafeClient(f.timeout)
	}
	return f
}

// IsClientIDURL reports whether id has the form of a metadata document URL (https,
// with a path); it does not say the document is acceptable.
func IsClientIDURL(id string) bool { return CheckURL(id) == nil }

// CheckURL applies the draft's rules to a client_id URL: https, a host, a path other
// than "/", no user info, no fragment, no dot segments.
func CheckURL(id string) error {
	if len(id) > maxURLLen || !strings.HasPrefix(id, "https://") {
		return ErrInvalidURL
	}
	for _, c := range id {
		if c <= 0x20 || c >= 0x7f || c == '\\' || c == '#' {
			return ErrInvalidURL
		}
	}
	u, err := url.Parse(id)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Path == "" || u.Path == "/" {
		return ErrInvalidURL
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return ErrInvalidURL
		}
	}
	return nil
}

// Fetch gets the document at id and checks it. It returns the document and how long
// it may be cached (Cache-Control max-age, clamped to [MinCacheTTL, MaxCacheTTL];
// MinCacheTTL when absent or no-store).
func (f *Fetcher) Fetch(ctx context.Context, id string) (Document, time.Duration, error) {
	if err := CheckURL(id); err != nil {
		return Document{}, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return Document{}, 0, ErrInvalidURL
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrForbiddenAddress) {
			return Document{}, 0, ErrForbiddenAddress
		}
		return Document{}, 0, fmt.Errorf("%w: %s", ErrFetch, describe(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Document{}, 0, fmt.Errorf("%w: status %d", ErrFetch, resp.StatusCode)
	}
	if resp.ContentLength > f.maxBytes {
		return Document{}, 0, ErrTooLarge
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return Document{}, 0, fmt.Errorf("%w: not JSON", ErrInvalidDocument)
		}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return Document{}, 0, fmt.Errorf("%w: %s", ErrFetch, describe(err))
	}
	if int64(len(body)) > f.maxBytes {
		return Document{}, 0, ErrTooLarge
	}
	var doc Document
	if err := json.Unmarshal(body, &doc); err != nil {
		return Document{}, 0, fmt.Errorf("%w: not a JSON object of client metadata", ErrInvalidDocument)
	}
	if doc.ClientID != id {
		return Document{}, 0, fmt.Errorf("%w: its client_id is not the URL it was fetched from", ErrInvalidDocument)
	}
	if doc.ClientSecret != "" {
		return Document{}, 0, fmt.Errorf("%w: it contains a client_secret", ErrInvalidDocument)
	}
	return doc, cacheTTL(resp.Header.Values("Cache-Control")), nil
}

// describe keeps the gist of a transport error without echoing URLs.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, errRedirect):
		return "redirects are not followed"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	return "connection failed"
}

// cacheTTL reads max-age from Cache-Control and clamps it.
func cacheTTL(values []string) time.Duration {
	ttl := time.Duration(0)
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			d = strings.ToLower(strings.TrimSpace(d))
			if d == "no-store" || d == "no-cache" {
				return MinCacheTTL
			}
			if n, ok := strings.CutPrefix(d, "max-age="); ok {
				if secs, err := strconv.ParseInt(strings.Trim(n, `"`), 10, 64); err == nil && secs >= 0 {
					ttl = time.Duration(min(secs, int64(MaxCacheTTL/time.Second))) * time.Second
				}
			}
		}
	}
	return min(max(ttl, MinCacheTTL), MaxCacheTTL)
}

var errRedirect = errors.New("redirect refused")

// SafeClient returns the SSRF-safe client: https only (enforced by CheckURL), no proxy,
// no redirects, every dialed address checked with CheckAddr.
func SafeClient(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{
		Timeout: timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return ErrForbiddenAddress
			}
			return CheckAddr(ap.Addr())
		},
	}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 16 << 10,
		IdleConnTimeout:        30 * time.Second,
		MaxIdleConns:           16,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errRedirect
		},
	}
}

// forbidden are the ranges a metadata document fetch may never reach.
var forbidden = func() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64",
		"2001::/23", "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}()

// CheckAddr returns ErrForbiddenAddress unless a is a public unicast address.
// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
func CheckAddr(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() {
		return ErrForbiddenAddress
	}
	for _, p := range forbidden {
		if p.Contains(a) {
			return ErrForbiddenAddress
		}
	}
	return nil
}
