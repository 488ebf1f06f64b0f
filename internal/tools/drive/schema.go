package drive

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// The SDK infers a slice as {"type": ["null", "array"]} and a pointer as ["null", T]: union
// types that strict clients refuse. Every Drive tool carries its own schemas, inferred the
// same way and then made strict (one JSON type per field; absent rather than null). Input
// defaults that differ from Go's zero values (a boolean that defaults to true) live in the
// schema: the SDK applies them before decoding, even when a call has no arguments.

// prop describes extra schema facts of one input property.
type prop struct {
	def  any   // default value, nil for none
	enum []any // allowed values, nil for any
}

// strictSchema infers T's schema, removes "null" from every type list and applies props.
func strictSchema[T any](props map[string]prop) *jsonschema.Schema {
	s, err := jsonschema.For[T](&jsonschema.ForOptions{})
	if err != nil {
		panic("drive: schema of a tool type: " + err.Error()) // a programming error, caught by every test
	}
	makeStrict(s)
	for name, p := range props {
		ps := s.Properties[name]
		if ps == nil {
			panic("drive: schema has no property " + name)
		}
		if p.enum != nil {
			ps.Enum = p.enum
		}
		if p.def != nil {
			b, err := json.Marshal(p.def)
			if err != nil {
				panic(err)
			}
			ps.Default = b
			s.Required = slices.DeleteFunc(s.Required, func(r string) bool { return r == name })
		}
	}
	return s
}

func makeStrict(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if len(s.Types) > 0 {
		kept := slices.DeleteFunc(slices.Clone(s.Types), func(t string) bool { return t == "null" })
		if len(kept) == 1 {
			s.Type, s.Types = kept[0], nil
		} else {
			s.Types = kept
		}
	}
	for _, p := range s.Properties {
		makeStrict(p)
	}
	makeStrict(s.Items)
	makeStrict(s.AdditionalProperties)
}

// addTool registers a Drive tool with strict schemas.
func addTool[In interface{ Account() string }, Out any](r *tools.Registry, d *tools.Deps, t *mcp.Tool, spec tools.Spec,
	props map[string]prop, h func(ctx context.Context, c tools.Call, in In) (Out, error)) {
	t.InputSchema = strictSchema[In](props)
	t.OutputSchema = strictSchema[Out](nil)
	tools.AddGoogle(r, d, t, spec, h)
}

// corporaProps are the schema facts of corporaParams.
var corporaProps = map[string]prop{
	"include_items_from_all_drives": {def: true},
	"corpora":                       {enum: []any{"user", "domain", "drive", "allDrives"}},
}
