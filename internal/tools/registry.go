// Package tools owns the registry of MCP tools: every tool gwmcp offers is added here with what
// the rest of the server needs to know about it (its Google service and the scopes it needs),
// and the registry installs the tools on an MCP server. Tool packages (one per Google service,
// under internal/tools/) call Add; the composition root decides what is installed.
//
// It also owns the bridge that lets a tool's log lines reach the MCP client (ClientLogger).
package tools

import (
	"slices"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Spec is what the server knows about a tool besides its MCP definition.
type Spec struct {
	// Service is the Google service the tool works on ("drive", "gmail", ...), or "" for
	// gwmcp's own tools such as health_check.
	Service string
	// Scopes are the Google OAuth scope URLs the tool needs.
	Scopes []string
}

type entry struct {
	name    string
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
		name: t.Name,
		spec: spec,
		install: func(s *mcp.Server) {
			mcp.AddTool(s, t, h)
		},
	})
}

// Has reports whether a tool of that name is registered.
func (r *Registry) Has(name string) bool {
	return slices.ContainsFunc(r.entries, func(e entry) bool { return e.name == name })
}

// Names returns the registered tool names in registration order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.entries))
	for i, e := range r.entries {
		out[i] = e.name
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

// Install adds every registered tool to s.
func (r *Registry) Install(s *mcp.Server) {
	for _, e := range r.entries {
		e.install(s)
	}
}

// Spec returns the spec of a registered tool.
func (r *Registry) Spec(name string) (Spec, bool) {
	for _, e := range r.entries {
		if e.name == name {
			return e.spec, true
		}
	}
	return Spec{}, false
}
