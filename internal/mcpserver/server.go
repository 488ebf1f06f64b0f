// Package mcpserver owns gwmcp's MCP server surface that is not a Google service: the server's
// identity and instructions, the health_check tool, the status resource, the workflow prompts,
// and the wiring that installs the tool registry on a go-sdk server.
package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/config"
	"github.com/gwmcp/gwmcp/internal/tools"
)

// Options configure New.
type Options struct {
	Version   string
	Config    config.Config
	Tools     *tools.Registry // Google tools; health_check is added by New
	Logger    *slog.Logger
	Now       func() time.Time // defaults to time.Now
	StartedAt time.Time        // defaults to Now() at New
	// SessionID makes Streamable HTTP session ids (default: the SDK's).
	SessionID func() string
	// Filter selects the tools offered (tier, services, read-only, disabled).
	Filter tools.Filter
	// Middleware runs on every request after gwmcp's own (for example per-principal tool
	// preferences).
	Middleware []mcp.Middleware
	// Identity describes the caller of a request for the gwmcp://me resource (nil: none).
	Identity func(ctx context.Context, req *mcp.ReadResourceRequest) (any, error)
}

// Instructions tell a model how to use the server.
const Instructions = "gwmcp gives you access to the user's Google Workspace. " +
	"Every Google tool takes an optional user_google_email; leave it out to act as the user's default account. " +
	"When a tool answers that authorization is needed, show the user the URL it gives and retry after they approve. " +
	"Call health_check if something seems wrong."

// New builds the MCP server: server tools, resources and prompts, plus every tool in o.Tools.
// The returned server is safe to share between sessions.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StartedAt.IsZero() {
		o.StartedAt = o.Now()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Tools == nil {
		o.Tools = tools.NewRegistry()
	}
	st := &status{opts: o, logs: tools.NewClientLogs(o.Logger, "gwmcp")}
	// health_check joins the caller's registry so prompts and listings see one set of tools.
	if !o.Tools.Has(healthCheckName) {
		tools.AddRaw[healthCheckInput, Status](o.Tools, healthCheckTool, tools.Spec{}, st.healthCheck)
	}

	s := mcp.NewServer(&mcp.Implementation{
		Name:    "gwmcp",
		Title:   "gwmcp: Google Workspace for AI assistants",
		Version: o.Version,
	}, &mcp.ServerOptions{
		Instructions: Instructions,
		Logger:       o.Logger,
		Capabilities: &mcp.ServerCapabilities{
			Logging: &mcp.LoggingCapabilities{},
		},
		GetSessionID: o.SessionID,
	})
	installed := o.Tools.Select(o.Filter)
	srv := &Server{Server: s, install: func() { installed.InstallAll(s) }}
	// Tools are installed (their schemas inferred and resolved) when the first session
	// starts (EnsureTools) or, at the latest, before the first request is handled: an idle
	// server never pays for them, and the first initialize already sees every tool.
	lazy := func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			srv.EnsureTools()
			return next(ctx, method, req)
		}
	}
	// Recover is outermost so a panic anywhere, middleware included, is answered.
	s.AddReceivingMiddleware(append([]mcp.Middleware{tools.Recover(o.Logger), lazy, st.logs.Middleware}, o.Middleware...)...)
	// What status reports about the tools is fixed once they are installed.
	st.services = installed.Services()
	if st.services == nil {
		st.services = []string{}
	}
	st.toolCount = len(installed.Names())
	s.AddResource(statusResource, st.readStatus)
	if o.Identity != nil {
		s.AddResource(identityResource, identityHandler(o.Identity))
	}
	addPrompts(s, installed)
	return srv
}

// Server is the MCP server with its tools installed on first use.
type Server struct {
	*mcp.Server
	once    sync.Once
	install func()
}

// EnsureTools installs the tools if that has not happened yet. Call it before a session
// connects: tools added while a session exists make the SDK announce tools/list_changed to
// it, which a client that has not opened its stream yet cannot receive.
func (s *Server) EnsureTools() { s.once.Do(s.install) }

// status produces the server's self-description, shared by health_check and the status
// resource.
type status struct {
	opts      Options
	logs      *tools.ClientLogs
	services  []string
	toolCount int
}

// Status is what health_check returns and gwmcp://server/status contains.
type Status struct {
	Status          string         `json:"status" jsonschema:"ok when the server is serving"`
	Version         string         `json:"version" jsonschema:"gwmcp version"`
	Transport       string         `json:"transport" jsonschema:"stdio or http"`
	UptimeSeconds   int64          `json:"uptimeSeconds" jsonschema:"seconds since the server started"`
	Uptime          string         `json:"uptime" jsonschema:"uptime in human form"`
	Config          config.Summary `json:"config" jsonschema:"configuration summary without secrets"`
	EnabledServices []string       `json:"enabledServices" jsonschema:"Google services with tools enabled on this server"`
	Tools           int            `json:"tools" jsonschema:"number of tools offered"`
}

func (s *status) snapshot() Status {
	up := s.opts.Now().Sub(s.opts.StartedAt).Truncate(time.Second)
	return Status{
		Status:          "ok",
		Version:         s.opts.Version,
		Transport:       string(s.opts.Config.Transport),
		UptimeSeconds:   int64(up / time.Second),
		Uptime:          up.String(),
		Config:          s.opts.Config.Summarize(),
		EnabledServices: s.services,
		Tools:           s.toolCount,
	}
}

const healthCheckName = "health_check"

var healthCheckTool = &mcp.Tool{
	Name:  healthCheckName,
	Title: "Server health",
	Description: "Reports whether gwmcp is running and how it is set up: version, transport, uptime, " +
		"a configuration summary without secrets, and which Google services have tools enabled. " +
		"Use it to diagnose problems before retrying a failing tool. Needs no Google account.",
	Annotations: &mcp.ToolAnnotations{
		ReadOnlyHint:   true,
		IdempotentHint: true,
		OpenWorldHint:  new(false),
	},
}

type healthCheckInput struct{}

func (s *status) healthCheck(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	st := s.snapshot()
	s.logs.For(req.Session).DebugContext(ctx, "health check", "uptime", st.Uptime)
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encoding status: %w", err)
	}
	// The text is the same JSON, for clients that do not read structured content.
	return &mcp.CallToolResult{StructuredContent: json.RawMessage(b), Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}}, nil
}
