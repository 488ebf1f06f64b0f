package app

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/config"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/tools"
)

// listTools returns the tools a fresh server offers with cfg.
func listTools(t *testing.T, mutate func(*config.Config)) []*mcp.Tool {
	t.Helper()
	cfg := config.Defaults()
	cfg.CredentialsDir, cfg.CredentialMode = t.TempDir(), "MEMORY_ONLY"
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := New(context.Background(), Options{Config: cfg, Logger: NewLogger(io.Discard, LogOptions{}), StateStore: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	if _, err := a.MCPServer().Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	lt, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return lt.Tools
}

// TestToolTiers: tiers grow, the core tier stays near 20 tools, read-only offers only read
// tools, a service filter keeps gwmcp's own tools, and every offered tool has strict schemas
// and known scopes. The sizes of tools/list per tier are logged (docs/BENCHMARKS.md).
func TestToolTiers(t *testing.T) {
	sizes := map[string]int{}
	counts := map[string]int{}
	for _, tier := range []string{"core", "extended", "complete"} {
		list := listTools(t, func(c *config.Config) { c.ToolTier = tier })
		b, _ := json.Marshal(map[string]any{"tools": list})
		sizes[tier], counts[tier] = len(b), len(list)
		t.Logf("tier %-8s %3d tools, tools/list %6d bytes (about %d tokens)", tier, len(list), len(b), len(b)/4)
		for _, tool := range list {
			for _, where := range [][]string{unionsOf(t, tool.InputSchema), unionsOf(t, tool.OutputSchema)} {
				if len(where) > 0 {
					t.Errorf("%s: schema not strict: %v", tool.Name, where)
				}
			}
		}
	}
	if conformanceBuild {
		return // the suite's fixture tools are added to every tier in that build
	}
	if !(counts["core"] < counts["extended"] && counts["extended"] < counts["complete"]) || counts["core"] < 15 || counts["core"] > 25 {
		t.Errorf("tier sizes %v", counts)
	}
	for _, tool := range listTools(t, func(c *config.Config) { c.ToolTier, c.ReadOnly = "complete", true }) {
		if strings.HasPrefix(tool.Name, "send_") || strings.HasPrefix(tool.Name, "create_") || strings.HasPrefix(tool.Name, "delete_") {
			t.Errorf("read-only mode offers %s", tool.Name)
		}
	}
	for _, tool := range listTools(t, func(c *config.Config) { c.ToolTier, c.Services = "complete", []string{"gmail"} }) {
		if len(tool.Name) > 6 && (tool.Name[:6] == "search" && tool.Name != "search_gmail_messages") {
			t.Errorf("--tools gmail offers %s", tool.Name)
		}
	}
}

func unionsOf(t *testing.T, schema any) []string {
	t.Helper()
	if schema == nil {
		return nil
	}
	b, _ := json.Marshal(schema)
	var s tools.SchemaJSON
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return tools.Unions(s.Schema())
}

// TestEveryDeclaredScopeIsKnown: a tool declaring an unknown or misspelt scope fails here.
func TestEveryDeclaredScopeIsKnown(t *testing.T) {
	cfg := config.Defaults()
	cfg.CredentialsDir, cfg.CredentialMode = t.TempDir(), "MEMORY_ONLY"
	a, err := New(context.Background(), Options{Config: cfg, Logger: NewLogger(io.Discard, LogOptions{}), StateStore: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, tool := range a.registry.Tools() {
		spec, _ := a.registry.Spec(tool.Name)
		if spec.Service == "" || len(spec.Scopes) == 0 {
			continue // gwmcp's own tools, and settings tools that never call Google
		}
		if err := scopes.Check(spec.Scopes); err != nil {
			t.Errorf("%s: %v", tool.Name, err)
		}
	}
}
