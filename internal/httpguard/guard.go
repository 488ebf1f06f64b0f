// Package httpguard owns the protections every gwmcp HTTP endpoint shares: the Origin and Host
// checks of the MCP transport spec (403 for a foreign Origin; DNS-rebinding protection when the
// connection arrives on a loopback address), security headers, the request body limit, panic
// recovery that never shows a stack trace, and the access log (which never logs a query string).
package httpguard

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// OriginPolicy decides which browser origins and Host headers may reach a handler.
type OriginPolicy struct {
	baseHost string // hostname of BASE_URL, lower case
	allowed  map[string]bool
}

// NewOriginPolicy allows BASE_URL's own origin, the extra origins given, and, on connections
// that arrive on a loopback address, loopback origins on any port (a local MCP Inspector).
func NewOriginPolicy(baseURL string, extra []string) *OriginPolicy {
	p := &OriginPolicy{allowed: map[string]bool{}}
	if u, err := url.Parse(baseURL); err == nil {
		p.baseHost = strings.ToLower(u.Hostname())
		p.allowed[normalizeOrigin(u.Scheme+"://"+u.Host)] = true
	}
	for _, o := range extra {
		p.allowed[normalizeOrigin(o)] = true
	}
	return p
}

func normalizeOrigin(o string) string {
	u, err := url.Parse(strings.TrimRight(o, "/"))
	if err != nil || u.Host == "" {
		return strings.ToLower(o)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		return scheme + "://" + net.JoinHostPort(host, port)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host
}

func isLoopbackName(host string) bool {
	host = strings.Trim(strings.ToLower(host), "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// onLoopback reports whether the request arrived on a loopback address of this server.
func onLoopback(r *http.Request) bool {
	addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || addr == nil {
		return false
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Check returns "" when the request may proceed, or the reason it may not.
func (p *OriginPolicy) Check(r *http.Request) string {
	loop := onLoopback(r)
	if loop {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !isLoopbackName(host) && !strings.EqualFold(host, p.baseHost) {
			return "host not allowed"
		}
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return "" // not a browser request
	}
	n := normalizeOrigin(origin)
	if p.allowed[n] {
		return ""
	}
	if loop {
		if u, err := url.Parse(n); err == nil && (u.Scheme == "http" || u.Scheme == "https") && isLoopbackName(u.Hostname()) {
			return ""
		}
	}
	return "origin not allowed"
}

// Middleware answers 403 to requests the policy refuses.
func (p *OriginPolicy) Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := p.Check(r); reason != "" {
			log.WarnContext(r.Context(), "request refused", "reason", reason, "path", r.URL.Path)
			WriteJSONError(w, http.StatusForbidden, "forbidden", "Forbidden: "+reason)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Headers are the security headers sent with every response.
type Headers struct {
	Enabled    bool
	CSP        string
	HSTSMaxAge int  // sent only when TLS is true
	TLS        bool // the server terminates TLS itself
}

// Middleware sets the headers before the handler runs.
func (h Headers) Middleware(next http.Handler) http.Handler {
	if !h.Enabled {
		return next
	}
	hsts := ""
	if h.TLS && h.HSTSMaxAge > 0 {
		hsts = "max-age=" + strconv.Itoa(h.HSTSMaxAge) + "; includeSubDomains"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		if h.CSP != "" {
			hd.Set("Content-Security-Policy", h.CSP)
		}
		if hsts != "" {
			hd.Set("Strict-Transport-Security", hsts)
		}
		next.ServeHTTP(w, r)
	})
}

// LimitBody caps every request body at max bytes; reading past it fails, and handlers that
// use ReadJSON answer 413. Paths under an exempt prefix enforce limits of their own (large
// uploads).
func LimitBody(max int64, next http.Handler, exempt ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range exempt {
			if strings.HasPrefix(r.URL.Path, p) {
				next.ServeHTTP(w, r)
				return
			}
		}
		if r.ContentLength > max {
			WriteJSONError(w, http.StatusRequestEntityTooLarge, "request_too_large", "Request body too large")
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}

// Recover turns a panic into a plain 500 without detail for the client, and logs it.
func Recover(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "handler panic", "path", r.URL.Path, "panic", v)
				WriteJSONError(w, http.StatusInternalServerError, "server_error", "Internal server error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// AccessLog logs each request at debug level: method, path (never the query, which may carry
// codes or state), status and duration. Paths under a capability prefix (single-use links
// and transfer URLs, whose last segment is the secret) are logged as the prefix only.
func AccessLog(log *slog.Logger, next http.Handler, capabilityPrefixes ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		path := r.URL.Path
		for _, p := range capabilityPrefixes {
			if strings.HasPrefix(path, p) {
				path = p + "[redacted]"
			}
		}
		log.DebugContext(r.Context(), "http request", "method", r.Method, "path", path,
			"status", rec.status, "duration", time.Since(start))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and deadlines of the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// WriteJSONError writes {"error": code, "error_description": desc} with the status.
func WriteJSONError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}
