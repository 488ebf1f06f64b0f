package calendar

import (
	"context"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// strictSchema is tools.Strict with enums on top-level properties.
func strictSchema[T any](enums map[string][]any) *jsonschema.Schema {
	s := tools.Strict[T]()
	for name, values := range enums {
		tools.Enum(s, name, values...)
	}
	return s
}

// addTool registers a Calendar tool with strict input and output schemas.
func addTool[In interface{ Account() string }, Out any](r *tools.Registry, d *tools.Deps, t *mcp.Tool, scopes []string, tier tools.Tier,
	enums map[string][]any, h func(ctx context.Context, c tools.Call, in In) (Out, error)) {
	t.InputSchema = strictSchema[In](enums)
	t.OutputSchema = strictSchema[Out](nil)
	tools.AddGoogle(r, d, t, tools.Spec{Service: Service, Scopes: scopes, Tier: tier}, h)
}
