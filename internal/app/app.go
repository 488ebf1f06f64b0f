// Package app is gwmcp's composition root: it builds every part from a Config, serves the MCP
// transport the configuration asks for (stdio, or Streamable HTTP with its companion endpoints),
// and shuts down gracefully. Nothing below it knows how the parts are put together.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/authserver"
	"github.com/gwmcp/gwmcp/internal/config"
	"github.com/gwmcp/gwmcp/internal/devtoken"
	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/mcpserver"
	"github.com/gwmcp/gwmcp/internal/metrics"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/transfer"
	"github.com/gwmcp/gwmcp/internal/upstream"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// Options configure New. Only Config is required.
type Options struct {
	Config  config.Config
	Version string
	Logger  *slog.Logger
	Now     func() time.Time
	// Stdin and Stdout carry the stdio transport (default os.Stdin and os.Stdout).
	Stdin  io.ReadCloser
	Stdout io.WriteCloser
	// ShutdownTimeout bounds how long in-flight HTTP requests may take to finish after a
	// shutdown begins (default 25 s).
	ShutdownTimeout time.Duration
	// Rand is the source of session ids (default crypto/rand).
	Rand io.Reader
	// Tools are extra tools to offer besides gwmcp's own (tests use it for probes).
	Tools *tools.Registry
	// Storage, when set, is used instead of opening the configured storage (tests).
	Storage *Storage
	// OpenBrowser opens a URL on the desktop (start_google_auth); nil never opens one.
	OpenBrowser func(url string) error
	// Admin builds the app for an administration command: no serving, no loopback check,
	// and the server state opened as StateStore says ("memory" when the command needs none
	// of it, so a running server's embedded store stays free; "" the configured store).
	Admin      bool
	StateStore string
}

// App is a configured gwmcp server.
type App struct {
	opts    Options
	cfg     config.Config // the effective configuration (the sandbox rewrites parts of it)
	log     *slog.Logger
	mcp     *mcpserver.Server
	ready   atomic.Bool
	storage *Storage

	sandbox    *sandbox.Sandbox
	sandboxURL string
	sandboxDir string
	sandboxSrv *http.Server

	provider       *upstream.Provider // nil: no Google OAuth client configured
	googleClientID string
	factory        *workspace.Factory
	scopes         *scopes.Registry
	directory      *identity.Directory
	sessions       *identity.Sessions // HTTP with sessions only
	resolver       *identity.Resolver
	linker         *identity.Linker // nil without a Google OAuth client
	localDefault   *identity.LocalDefault
	local          identity.Principal
	auth           *authserver.Server // nil: /mcp needs no token (loopback only)
	devKey         *devtoken.Key      // nil: development tokens refused
	registry       *tools.Registry
	deps           *tools.Deps
	transfers      *transfer.Service
	metrics        *metrics.Metrics

	// streamsCtx is cancelled once the in-flight requests have drained during a shutdown,
	// which ends the long-lived SSE streams (GET /mcp) that would otherwise keep the drain
	// waiting. Ending them earlier would make clients drop the session, and with it the
	// answers still being computed.
	streamsCtx    context.Context
	cancelStreams context.CancelFunc
	inflight      atomic.Int64 // MCP requests other than SSE streams
	handler       http.Handler
}

// New builds the application from its options and opens its storage; Close releases it.
func New(ctx context.Context, o Options) (*App, error) {
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Stdin == nil {
		o.Stdin = os.Stdin
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 25 * time.Second
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Tools == nil {
		o.Tools = tools.NewRegistry()
	}
	if o.Version == "" {
		o.Version = "devel"
	}
	a := &App{opts: o, log: o.Logger, storage: o.Storage}
	a.streamsCtx, a.cancelStreams = context.WithCancel(context.Background())
	if err := a.build(ctx); err != nil {
		_ = a.Close()
		return nil, err
	}
	return a, nil
}

// Close releases what New opened. Call it after Run returns.
func (a *App) Close() error {
	var errs []error
	if a.sessions != nil {
		a.sessions.StopSweeper()
	}
	if a.transfers != nil {
		errs = append(errs, a.transfers.Close())
	}
	if a.sandboxSrv != nil {
		errs = append(errs, a.sandboxSrv.Close())
	}
	if a.storage != nil && a.opts.Storage == nil {
		errs = append(errs, a.storage.Close())
	}
	if a.sandboxDir != "" {
		errs = append(errs, os.RemoveAll(a.sandboxDir))
	}
	return errors.Join(errs...)
}

// Storage is the application's storage.
func (a *App) Storage() *Storage { return a.storage }

// MCPServer is the MCP server the transports serve, its tools installed.
func (a *App) MCPServer() *mcp.Server {
	a.mcp.EnsureTools()
	return a.mcp.Server
}

// Handler is the HTTP handler of the http transport (every endpoint).
func (a *App) Handler() http.Handler { return a.handler }

// Ready reports whether the HTTP transport is accepting work.
func (a *App) Ready() bool { return a.ready.Load() }

// Run serves the configured transport until ctx is cancelled (or, on stdio, the client
// closes its end), then shuts down gracefully.
func (a *App) Run(ctx context.Context) error {
	cfg := a.cfg
	if cfg.Transport == config.TransportStdio {
		a.log.Info("serving MCP on stdio", "version", a.opts.Version)
		a.mcp.EnsureTools()
		err := a.mcp.Run(ctx, &mcp.IOTransport{Reader: a.opts.Stdin, Writer: a.opts.Stdout})
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
			return fmt.Errorf("stdio transport: %w", err)
		}
		return nil
	}
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return fmt.Errorf("listening on %s (SERVER_HOST, SERVER_PORT): %w", cfg.Addr(), err)
	}
	return a.Serve(ctx, ln)
}

// Serve serves HTTP on ln until ctx is cancelled. On cancellation /ready turns 503, open SSE
// streams are ended, in-flight requests may finish within ShutdownTimeout, and then the
// listener closes.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	cfg := a.cfg
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
	}
	scheme := "http"
	errc := make(chan error, 1)
	go func() {
		var err error
		if cfg.EnableHTTPS {
			scheme = "https"
			err = srv.ServeTLS(ln, cfg.SSLCertFile, cfg.SSLKeyFile)
		} else {
			err = srv.Serve(ln)
		}
		errc <- err
	}()
	if a.sessions != nil {
		a.sessions.StartSweeper(time.Minute)
	}
	a.ready.Store(true)
	// Start-up (schemas of every tool, key loading, store opening) leaves garbage behind;
	// give it back to the system now rather than when the scavenger gets to it.
	go debug.FreeOSMemory()
	a.log.Info("serving MCP over Streamable HTTP", "listen", scheme+"://"+ln.Addr().String(),
		"mcp", cfg.MCPResource(), "stateless", cfg.Stateless, "version", a.opts.Version)
	if !cfg.AuthConfigured() {
		a.log.Warn("NO AUTHENTICATION: no Google OAuth client is configured, so anyone who can reach " +
			ln.Addr().String() + " can use this server; keep it on a loopback address")
	}

	select {
	case err := <-errc:
		a.ready.Store(false)
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down: draining in-flight requests", "timeout", a.opts.ShutdownTimeout)
	a.ready.Store(false)
	sctx, cancel := context.WithTimeout(context.Background(), a.opts.ShutdownTimeout)
	defer cancel()
	go a.endStreamsWhenDrained(sctx)
	err := srv.Shutdown(sctx)
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("graceful shutdown did not finish in %s: %w", a.opts.ShutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	a.log.Info("shutdown complete")
	return nil
}

// endStreamsWhenDrained waits until no MCP request is in flight (or ctx ends), then ends the
// SSE streams so the server's drain can complete.
func (a *App) endStreamsWhenDrained(ctx context.Context) {
	defer a.cancelStreams()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for a.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// newSessionID returns a 256-bit random session id.
func (a *App) newSessionID() string {
	var b [32]byte
	if _, err := io.ReadFull(a.opts.Rand, b[:]); err != nil {
		// crypto/rand does not fail on supported platforms; an injected reader that does is a
		// test bug, and an empty id would be worse than stopping.
		panic(fmt.Sprintf("session id randomness failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
