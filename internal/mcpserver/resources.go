package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// StatusURI is the resource holding the server status.
const StatusURI = "gwmcp://server/status"

var statusResource = &mcp.Resource{
	URI:         StatusURI,
	Name:        "server-status",
	Title:       "gwmcp server status",
	Description: "Version, transport, uptime, configuration summary (no secrets) and enabled Google services, as JSON.",
	MIMEType:    "application/json",
}

func (s *status) readStatus(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	body, err := json.MarshalIndent(s.snapshot(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding status: %w", err)
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{
		URI: req.Params.URI, MIMEType: "application/json", Text: string(body),
	}}}, nil
}

// IdentityURI is the resource describing the caller: who they are and their accounts.
const IdentityURI = "gwmcp://me"

var identityResource = &mcp.Resource{
	URI:         IdentityURI,
	Name:        "caller-identity",
	Title:       "Who am I",
	Description: "The caller of this session and the Google accounts they connected (no tokens), as JSON.",
	MIMEType:    "application/json",
}

func identityHandler(describe func(ctx context.Context, req *mcp.ReadResourceRequest) (any, error)) mcp.ResourceHandler {
	return func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		v, err := describe(ctx, req)
		if err != nil {
			return nil, err
		}
		body, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encoding identity: %w", err)
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "application/json", Text: string(body)}}}, nil
	}
}
