//go:build !conformance

package app

import (
	"log/slog"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// addConformanceFixtures does nothing in a normal build: the MCP conformance suite's test
// fixtures exist only in `go build -tags conformance` (see conformance_fixtures.go).
func addConformanceFixtures(*mcp.Server, *slog.Logger) {}

// conformanceCIMDClient returns nil in a normal build: client ID metadata documents are
// fetched with the SSRF-safe default client (see internal/authserver/cimd). Only the
// conformance build may return a client that reaches loopback (see conformance_fixtures.go).
func conformanceCIMDClient(*slog.Logger) *http.Client { return nil }

// conformanceBuild reports whether the conformance suite's fixtures are built in.
const conformanceBuild = false
