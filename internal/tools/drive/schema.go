package drive

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// prop describes extra schema facts of one input property.
type prop struct {
	def  any   // default value, nil for none
	enum []any // allowed values, nil for any
}

// addTool registers a Drive tool with strict schemas.
func addTool[In interface{ Account() string }, Out any](r *tools.Registry, d *tools.Deps, t *mcp.Tool, spec tools.Spec,
	props map[string]prop, h func(ctx context.Context, c tools.Call, in In) (Out, error)) {
	for name, p := range props {
		if p.def != nil {
			if spec.Defaults == nil {
				spec.Defaults = map[string]any{}
			}
			spec.Defaults[name] = p.def
		}
		if p.enum != nil {
			if spec.Enums == nil {
				spec.Enums = map[string][]any{}
			}
			spec.Enums[name] = p.enum
		}
	}
	tools.AddGoogle(r, d, t, spec, h)
}

// corporaProps are the schema facts of corporaParams.
var corporaProps = map[string]prop{
	"include_items_from_all_drives": {def: true},
	"corpora":                       {enum: []any{"user", "domain", "drive", "allDrives"}},
}
