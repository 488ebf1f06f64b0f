package tools

import (
	"context"
	"log/slog"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ClientLogs hands out loggers that write both to the server's log and, at the level the
// client chose with logging/setLevel, to that client as notifications/message. Nothing reaches
// a client until it sets a level, as the MCP logging spec implies.
//
// The MCP side of a session is built once and kept while the session lives (a weak reference
// lets a closed session be collected), so logging from a tool costs two small allocations.
type ClientLogs struct {
	base     *slog.Logger
	name     string
	sessions sync.Map // weak.Pointer[mcp.ServerSession] -> *clientSide
}

// clientSide is one session's MCP log sink and the level its client chose.
type clientSide struct {
	handler slog.Handler
	// level is the slog level set with logging/setLevel; levelSet says whether it was set.
	// The SDK's own handler reports "enabled" before any level is set (and then drops the
	// record), so the tee keeps its own view to skip that work on every call.
	level    atomic.Int64
	levelSet atomic.Bool
}

// NewClientLogs returns loggers named name (the MCP "logger" field) on top of base.
func NewClientLogs(base *slog.Logger, name string) *ClientLogs {
	return &ClientLogs{base: base, name: name}
}

// For returns the logger for a request of session ss (nil ss: the server log only).
func (c *ClientLogs) For(ss *mcp.ServerSession) *slog.Logger {
	if ss == nil {
		return c.base
	}
	side := c.side(ss)
	return slog.New(&teeHandler{server: c.base.Handler(), client: side.handler, side: side})
}

func (c *ClientLogs) side(ss *mcp.ServerSession) *clientSide {
	key := weak.Make(ss)
	if v, ok := c.sessions.Load(key); ok {
		return v.(*clientSide)
	}
	v, loaded := c.sessions.LoadOrStore(key, &clientSide{handler: mcp.NewLoggingHandler(ss, &mcp.LoggingHandlerOptions{LoggerName: c.name})})
	if !loaded {
		runtime.AddCleanup(ss, func(k weak.Pointer[mcp.ServerSession]) { c.sessions.Delete(k) }, key)
	}
	return v.(*clientSide)
}

// mcpLevels maps MCP logging levels to slog levels, as the SDK does.
var mcpLevels = map[mcp.LoggingLevel]slog.Level{
	"debug": mcp.LevelDebug, "info": mcp.LevelInfo, "notice": mcp.LevelNotice, "warning": mcp.LevelWarning,
	"error": mcp.LevelError, "critical": mcp.LevelCritical, "alert": mcp.LevelAlert, "emergency": mcp.LevelEmergency,
}

// requestLevel carries the log level a request names in its _meta (protocol 2026-07-28 and
// later set the level per request instead of with logging/setLevel).
type requestLevel struct{}

// Middleware records the level each client sets with logging/setLevel, and the per-request
// level of newer protocol versions. Install it with AddReceivingMiddleware.
func (c *ClientLogs) Middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if r, ok := req.(*mcp.ServerRequest[*mcp.SetLoggingLevelParams]); ok && r.Params != nil && r.Session != nil {
			if l, known := mcpLevels[r.Params.Level]; known {
				side := c.side(r.Session)
				side.level.Store(int64(l))
				side.levelSet.Store(true)
			}
		}
		if p := req.GetParams(); !isNil(p) {
			if meta := p.GetMeta(); meta != nil {
				if v, ok := meta[mcp.MetaKeyLogLevel].(string); ok {
					l, known := mcpLevels[mcp.LoggingLevel(v)]
					ctx = context.WithValue(ctx, requestLevel{}, levelChoice{level: l, set: known})
				}
			}
		}
		return next(ctx, method, req)
	}
}

// isNil reports whether p is nil or a typed nil pointer (requests without params carry one).
func isNil(p mcp.Params) bool {
	if p == nil {
		return true
	}
	v := reflect.ValueOf(p)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

type levelChoice struct {
	level slog.Level
	set   bool
}

// teeHandler sends each record to the server handler and to the client handler, each only if
// that side is enabled for the record's level.
type teeHandler struct {
	server slog.Handler
	client slog.Handler
	side   *clientSide
}

func (t *teeHandler) clientEnabled(ctx context.Context, l slog.Level) bool {
	if c, ok := ctx.Value(requestLevel{}).(levelChoice); ok {
		return c.set && l >= c.level
	}
	return t.side.levelSet.Load() && l >= slog.Level(t.side.level.Load())
}

func (t *teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return t.server.Enabled(ctx, l) || t.clientEnabled(ctx, l)
}

func (t *teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if t.server.Enabled(ctx, r.Level) {
		err = t.server.Handle(ctx, r.Clone())
	}
	if t.clientEnabled(ctx, r.Level) {
		// A client that went away must not fail the tool: its error is dropped.
		_ = t.client.Handle(ctx, r)
	}
	return err
}

func (t *teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &teeHandler{server: t.server.WithAttrs(as), client: t.client.WithAttrs(as), side: t.side}
}

func (t *teeHandler) WithGroup(name string) slog.Handler {
	return &teeHandler{server: t.server.WithGroup(name), client: t.client.WithGroup(name), side: t.side}
}
