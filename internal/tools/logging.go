package tools

import (
	"context"
	"log/slog"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ClientLogger returns a logger that writes both to the server's log and, at the level the
// client chose with logging/setLevel, to the MCP client of session ss as notifications/message.
// Nothing reaches the client until it sets a level, as the MCP logging spec implies. The MCP
// side is built only when a record is logged, so a tool that does not log pays nothing.
func ClientLogger(base *slog.Logger, ss *mcp.ServerSession, name string) *slog.Logger {
	if ss == nil {
		return base
	}
	return slog.New(&teeHandler{server: base.Handler(), client: &lazyClient{ss: ss, name: name}})
}

type lazyClient struct {
	ss   *mcp.ServerSession
	name string
	once sync.Once
	h    slog.Handler
}

func (l *lazyClient) handler() slog.Handler {
	l.once.Do(func() {
		l.h = mcp.NewLoggingHandler(l.ss, &mcp.LoggingHandlerOptions{LoggerName: l.name})
	})
	return l.h
}

// teeHandler sends each record to the server handler and to the client handler, each only if
// that side is enabled for the record's level.
type teeHandler struct {
	server slog.Handler
	client *lazyClient
	// ops records WithAttrs/WithGroup calls to replay on the client side once it is built.
	ops []func(slog.Handler) slog.Handler
}

func (t *teeHandler) clientHandler() slog.Handler {
	h := t.client.handler()
	for _, op := range t.ops {
		h = op(h)
	}
	return h
}

func (t *teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return t.server.Enabled(ctx, l) || t.client.handler().Enabled(ctx, l)
}

func (t *teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if t.server.Enabled(ctx, r.Level) {
		err = t.server.Handle(ctx, r.Clone())
	}
	if c := t.clientHandler(); c.Enabled(ctx, r.Level) {
		// A client that went away must not fail the tool: its error is dropped.
		_ = c.Handle(ctx, r)
	}
	return err
}

func (t *teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &teeHandler{
		server: t.server.WithAttrs(as),
		client: t.client,
		ops:    append(cloneOps(t.ops), func(h slog.Handler) slog.Handler { return h.WithAttrs(as) }),
	}
}

func (t *teeHandler) WithGroup(name string) slog.Handler {
	return &teeHandler{
		server: t.server.WithGroup(name),
		client: t.client,
		ops:    append(cloneOps(t.ops), func(h slog.Handler) slog.Handler { return h.WithGroup(name) }),
	}
}

func cloneOps(ops []func(slog.Handler) slog.Handler) []func(slog.Handler) slog.Handler {
	return append([]func(slog.Handler) slog.Handler(nil), ops...)
}
