package app

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/httpguard"
	"github.com/gwmcp/gwmcp/internal/identity"
)

// Write deadlines: the server default suits small JSON endpoints; a POST to /mcp may run a
// long tool call and gets toolCallTimeout; a GET /mcp SSE stream has none (it ends with its
// session or at shutdown).
const (
	writeTimeout    = 30 * time.Second
	toolCallTimeout = 10 * time.Minute
)

func (a *App) routes() http.Handler {
	cfg := a.cfg
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return a.MCPServer() }, &mcp.StreamableHTTPOptions{
		Stateless:      cfg.Stateless,
		SessionTimeout: cfg.SessionTimeout,
		Logger:         a.log,
		// httpguard's OriginPolicy does the DNS-rebinding check, and also accepts BASE_URL's
		// host for a reverse proxy on the same machine.
		DisableLocalhostProtection: true,
		MaxRequestBodyBytes:        cfg.MaxRequestBytes,
	})
	policy := httpguard.NewOriginPolicy(cfg.BaseURL, cfg.AllowedOrigins)

	notFound := func(w http.ResponseWriter, r *http.Request) {
		httpguard.WriteJSONError(w, http.StatusNotFound, "not_found", "Not found")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", a.health)
	mux.HandleFunc("GET /ready", a.readiness)
	mux.Handle("GET /metrics", a.metrics.Handler())
	mux.Handle("/mcp", policy.Middleware(a.log, a.mcpDeadlines(a.authenticate(a.sessionGuard(mcpHandler)))))
	if a.auth == nil {
		mux.HandleFunc("/", notFound)
	} else {
		// The authorization server's endpoints; the Google callback is shared with account
		// linking, which marks its own states.
		as := http.NewServeMux()
		a.auth.Routes(as)
		as.HandleFunc("/", notFound)
		mux.Handle("/", as)
		mux.HandleFunc("GET /oauth2callback", func(w http.ResponseWriter, r *http.Request) {
			if a.linker != nil && identity.IsLinkState(r.URL.Query().Get("state")) {
				a.linker.HandleCallback(w, r)
				return
			}
			as.ServeHTTP(w, r)
		})
	}
	if a.auth == nil && a.linker != nil {
		mux.HandleFunc("GET /oauth2callback", a.linker.HandleCallback)
	}
	if a.linker != nil {
		a.linker.Routes(mux)
	}
	if a.transfers != nil && !a.transfers.Local() {
		// Signed URLs are the capability; a request that also carries a token must be the
		// same principal's (the transfer service checks), so verify it here.
		tm := http.NewServeMux()
		a.transfers.Routes(tm)
		mux.Handle(a.transfers.UploadPath(), a.optionalPrincipal(tm))
		mux.Handle(a.transfers.DownloadPath(), a.optionalPrincipal(tm))
	}

	var h http.Handler = mux
	h = httpguard.LimitBody(cfg.MaxRequestBytes, h, a.transferUploadPaths()...)
	h = httpguard.Headers{Enabled: cfg.SecurityHeaders, CSP: cfg.CSPPolicy, HSTSMaxAge: cfg.HSTSMaxAge, TLS: cfg.EnableHTTPS}.Middleware(h)
	h = a.metrics.HTTP(h)
	h = httpguard.AccessLog(a.log, h, "/auth/link/", "/drive-upload/", "/attachment-download/")
	h = httpguard.Recover(a.log, h)
	return h
}

// mcpDeadlines sets per-request write deadlines and ties GET streams to the shutdown.
func (a *App) mcpDeadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		switch r.Method {
		case http.MethodGet:
			_ = rc.SetWriteDeadline(time.Time{})
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			stop := context.AfterFunc(a.streamsCtx, cancel)
			defer stop()
			r = r.WithContext(ctx)
		default:
			a.inflight.Add(1)
			defer a.inflight.Add(-1)
			if r.Method == http.MethodPost {
				_ = rc.SetWriteDeadline(time.Now().Add(toolCallTimeout))
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (a *App) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": a.opts.Version})
}

func (a *App) readiness(w http.ResponseWriter, _ *http.Request) {
	if !a.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// transferUploadPaths are exempt from the global body limit: the transfer service enforces
// TRANSFER_MAX_BYTES itself while streaming.
func (a *App) transferUploadPaths() []string {
	if a.transfers == nil || a.transfers.Local() {
		return nil
	}
	return []string{a.transfers.UploadPath()}
}
