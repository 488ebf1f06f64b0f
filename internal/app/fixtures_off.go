//go:build !conformance

package app

import (
	"log/slog"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// addConformanceFixtures does nothing in a normal build: the MCP conformance suite's test
// fixtures exist only in `go build -tags conformance` (see conformance_fixtures.go).
func addConformanceFixtures(*mcp.Server, *slog.Logger) {}
