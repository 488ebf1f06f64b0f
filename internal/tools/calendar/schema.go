package calendar

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// addTool registers a Calendar tool with strict input and output schemas.
func addTool[In interface{ Account() string }, Out any](r *tools.Registry, d *tools.Deps, t *mcp.Tool, scopes []string, tier tools.Tier,
	enums map[string][]any, h func(ctx context.Context, c tools.Call, in In) (Out, error)) {
	tools.AddGoogle(r, d, t, tools.Spec{Service: Service, Scopes: scopes, Tier: tier, Enums: enums}, h)
}
