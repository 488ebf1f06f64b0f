package tools

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Recover is receiving middleware that turns a panic in any handler into an error answer
// instead of a crashed server (the SDK runs handlers on goroutines of its own, where a panic
// would end the process). A panicking tool answers with a tool error that tells the model to
// report it; the stack goes to the server log only.
func Recover(log *slog.Logger) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (res mcp.Result, err error) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				log.ErrorContext(ctx, "panic in MCP handler", "method", method, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if method == "tools/call" {
					res, err = &mcp.CallToolResult{
						IsError: true,
						Content: []mcp.Content{&mcp.TextContent{Text: "gwmcp hit an internal error while running this tool; " +
							"this is a bug in gwmcp, not in your request. Tell the user, and do not retry the same call."}},
					}, nil
					return
				}
				res, err = nil, fmt.Errorf("internal error in %s", method)
			}()
			return next(ctx, method, req)
		}
	}
}

// DiscardLogger is a logger that writes nothing (tests and defaults).
func DiscardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
