// Package tools owns the registry of MCP tools: every tool gwmcp offers is added here with what
// the rest of the server needs to know about it (its Google service and the scopes it needs),
// and the registry installs the tools on an MCP server. Tool packages (one per Google service,
// under internal/tools/) call Add; the composition root decides what is installed.
//
// It also owns the bridge that lets a tool's log lines reach the MCP client (ClientLogger).
package tools

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Spec is what the server knows about a tool besides its MCP definition.
type Spec struct {
	// Service is the Google service the tool works on ("drive", "gmail", ...), or "" for
	// gwmcp's own tools such as health_check.
	Service string
	// Scopes are the Google OAuth scope URLs the tool needs.
	Scopes []string
	// Tier is the smallest tool tier that offers the tool.
	Tier Tier
	// Defaults are default values of top-level input properties (the SDK applies them
	// before the handler runs); Enums restrict top-level input or output properties. Fields
	// tagged `enum:"a,b"` are restricted too.
	Defaults map[string]any
	Enums    map[string][]any
}

// Tier is a tool surface size: core keeps tools/list small, complete offers everything.
type Tier int

// The tiers, smallest first. The zero value is Core.
const (
	Core Tier = iota
	Extended
	Complete
)

var tierNames = []string{"core", "extended", "complete"}

func (t Tier) String() string {
	if t < 0 || int(t) >= len(tierNames) {
		return "unknown"
	}
	return tierNames[t]
}

// ParseTier reads core, extended or complete.
func ParseTier(s string) (Tier, error) {
	for i, n := range tierNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Tier(i), nil
		}
	}
	return 0, fmt.Errorf("tool tier %q is not one of core, extended, complete", s)
}

// Filter selects which registered tools a server offers. The zero value offers every
// core tool.
type Filter struct {
	Tier Tier
	// Services, if not empty, keeps only tools of these Google services (gwmcp's own tools
	// are always kept).
	Services []string
	// ReadOnly keeps only Google tools annotated read-only (and gwmcp's own tools).
	ReadOnly bool
	// Disabled names tools never offered.
	Disabled []string
}

// Allows reports whether the filter offers a tool.
func (f Filter) Allows(t *mcp.Tool, s Spec) bool {
	if s.Tier > f.Tier || slices.Contains(f.Disabled, t.Name) {
		return false
	}
	if len(f.Services) > 0 && s.Service != "" && !slices.Contains(f.Services, s.Service) {
		return false
	}
	// Read-only is about Google data: gwmcp's own tools (accounts, tool choice) stay.
	if f.ReadOnly && s.Service != "" && (t.Annotations == nil || !t.Annotations.ReadOnlyHint) {
		return false
	}
	return true
}

type entry struct {
	tool    *mcp.Tool
	spec    Spec
	install func(*mcp.Server)
}

// Registry collects tools before they are installed on a server. It is not safe for
// concurrent Add; build it once at start.
type Registry struct {
	entries []entry
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

// Add registers a typed tool. Input and output schemas are inferred from In and Out by the MCP
// SDK; t.Annotations should say whether the tool reads, writes or destroys. Adding two tools
// of one name panics: it is a programming error caught by every test that builds a server.
func Add[In, Out any](r *Registry, t *mcp.Tool, spec Spec, h mcp.ToolHandlerFor[In, Out]) {
	if r.Has(t.Name) {
		panic("tools: duplicate tool " + t.Name)
	}
	r.entries = append(r.entries, entry{
		tool: t,
		spec: spec,
		install: func(s *mcp.Server) {
			// Schemas are inferred when the tool is installed, not when it is registered:
			// reflection over every tool's types is most of a server's start-up work.
			if t.InputSchema == nil {
				t.InputSchema = schemaFor[In](spec.Defaults, spec.Enums)
			}
			if t.OutputSchema == nil {
				t.OutputSchema = schemaFor[Out](nil, spec.Enums)
			}
			mcp.AddTool(s, t, h)
		},
	})
}

// AddRaw registers a tool whose handler builds its whole result, structured content
// included, with schemas inferred from In and Out. The SDK then neither decodes, nor
// validates, nor re-encodes: for a hot, fixed-shape tool whose output a test checks against
// its schema (health_check).
func AddRaw[In, Out any](r *Registry, t *mcp.Tool, spec Spec, h mcp.ToolHandler) {
	if r.Has(t.Name) {
		panic("tools: duplicate tool " + t.Name)
	}
	r.entries = append(r.entries, entry{tool: t, spec: spec, install: func(s *mcp.Server) {
		if t.InputSchema == nil {
			t.InputSchema = schemaFor[In](spec.Defaults, spec.Enums)
		}
		if t.OutputSchema == nil {
			t.OutputSchema = schemaFor[Out](nil, spec.Enums)
		}
		s.AddTool(t, h)
	}})
}

// Has reports whether a tool of that name is registered.
func (r *Registry) Has(name string) bool {
	return slices.ContainsFunc(r.entries, func(e entry) bool { return e.tool.Name == name })
}

// Names returns the registered tool names in registration order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.entries))
	for i, e := range r.entries {
		out[i] = e.tool.Name
	}
	return out
}

// Services returns the sorted Google services that have at least one registered tool.
func (r *Registry) Services() []string {
	var out []string
	for _, e := range r.entries {
		if e.spec.Service != "" && !slices.Contains(out, e.spec.Service) {
			out = append(out, e.spec.Service)
		}
	}
	slices.Sort(out)
	return out
}

// Install adds every registered tool the filter allows to s and returns the registry of
// what was installed (for status and prompts).
func (r *Registry) Install(s *mcp.Server, f Filter) *Registry {
	out := r.Select(f)
	out.InstallAll(s)
	return out
}

// Select returns the registry of the tools the filter allows, without installing them.
func (r *Registry) Select(f Filter) *Registry {
	out := NewRegistry()
	for _, e := range r.entries {
		if f.Allows(e.tool, e.spec) {
			out.entries = append(out.entries, e)
		}
	}
	return out
}

// InstallAll adds every tool of the registry to s.
func (r *Registry) InstallAll(s *mcp.Server) {
	for _, e := range r.entries {
		e.install(s)
	}
}

// Scopes returns every Google scope the registered tools declare, deduplicated and sorted.
func (r *Registry) Scopes() []string {
	var out []string
	for _, e := range r.entries {
		for _, sc := range e.spec.Scopes {
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Tools returns the MCP definitions of the registered tools.
func (r *Registry) Tools() []*mcp.Tool {
	out := make([]*mcp.Tool, len(r.entries))
	for i, e := range r.entries {
		out[i] = e.tool
	}
	return out
}

// Spec returns the spec of a registered tool.
func (r *Registry) Spec(name string) (Spec, bool) {
	for _, e := range r.entries {
		if e.tool.Name == name {
			return e.spec, true
		}
	}
	return Spec{}, false
}
