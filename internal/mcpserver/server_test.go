package mcpserver

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/config"
	"github.com/gwmcp/gwmcp/internal/tools"
)

type clientLogs struct {
	mu   sync.Mutex
	msgs []*mcp.LoggingMessageParams
}

func (c *clientLogs) add(_ context.Context, r *mcp.LoggingMessageRequest) {
	c.mu.Lock()
	c.msgs = append(c.msgs, r.Params)
	c.mu.Unlock()
}

func (c *clientLogs) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

func connect(t *testing.T, reg *tools.Registry, logs *clientLogs) *mcp.ClientSession {
	return connectVersion(t, reg, logs, "")
}

func connectVersion(t *testing.T, reg *tools.Registry, logs *clientLogs, version string) *mcp.ClientSession {
	t.Helper()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	cfg := config.Defaults()
	s := New(Options{Version: "v1", Config: cfg, Tools: reg, Now: func() time.Time { return now }, StartedAt: now.Add(-90 * time.Second),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	if _, err := s.Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	opts := &mcp.ClientOptions{}
	if logs != nil {
		opts.LoggingMessageHandler = logs.add
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, opts).Connect(ctx, ct, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func TestCapabilitiesAndHealthCheck(t *testing.T) {
	cs := connect(t, nil, nil)
	caps := cs.InitializeResult().Capabilities
	if caps.Logging == nil || caps.Tools == nil || caps.Resources == nil || caps.Prompts == nil {
		t.Fatalf("capabilities = %+v", caps)
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "health_check"})
	if err != nil || res.IsError {
		t.Fatal(err, res)
	}
	var st Status
	b, _ := json.Marshal(res.StructuredContent)
	_ = json.Unmarshal(b, &st)
	if st.UptimeSeconds != 90 || st.Uptime != "1m30s" || st.Version != "v1" || st.Tools != 1 || st.EnabledServices == nil {
		t.Errorf("status = %+v", st)
	}
	lt, _ := cs.ListTools(context.Background(), nil)
	ann := lt.Tools[0].Annotations
	if ann == nil || !ann.ReadOnlyHint || !ann.IdempotentHint {
		t.Errorf("annotations = %+v", ann)
	}
}

func TestStatusResource(t *testing.T) {
	cs := connect(t, nil, nil)
	lr, err := cs.ListResources(context.Background(), nil)
	if err != nil || len(lr.Resources) != 1 || lr.Resources[0].URI != StatusURI {
		t.Fatalf("resources = %+v %v", lr, err)
	}
	rr, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: StatusURI})
	if err != nil {
		t.Fatal(err)
	}
	var st Status
	if err := json.Unmarshal([]byte(rr.Contents[0].Text), &st); err != nil || st.Status != "ok" {
		t.Errorf("status resource = %q (%v)", rr.Contents[0].Text, err)
	}
	if _, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "gwmcp://nope"}); err == nil {
		t.Error("unknown resource read succeeded")
	}
}

// TestLoggingReachesClientAtItsLevel (protocol 2025-11-25, logging/setLevel): nothing before
// the client sets a level; debug lines after it sets debug; none after it raises it to error.
func TestLoggingReachesClientAtItsLevel(t *testing.T) {
	logs := &clientLogs{}
	cs := connectVersion(t, nil, logs, "2025-11-25")
	ctx := context.Background()
	call := func() {
		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "health_check"}); err != nil {
			t.Fatal(err)
		}
	}
	call()
	if n := logs.count(); n != 0 {
		t.Fatalf("%d log messages before logging/setLevel", n)
	}
	if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "debug"}); err != nil {
		t.Fatal(err)
	}
	call()
	deadline := time.Now().Add(2 * time.Second)
	for logs.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if logs.count() != 1 {
		t.Fatalf("got %d log messages at debug, want 1", logs.count())
	}
	logs.mu.Lock()
	m := logs.msgs[0]
	logs.mu.Unlock()
	if m.Level != "debug" || m.Logger != "gwmcp" || !strings.Contains(string(mustJSON(t, m.Data)), "health check") {
		t.Errorf("log message = %+v", m)
	}
	if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "error"}); err != nil {
		t.Fatal(err)
	}
	call()
	time.Sleep(50 * time.Millisecond)
	if logs.count() != 1 {
		t.Errorf("debug line sent at level error")
	}
}

// TestLoggingPerRequestLevel: newer protocol versions name the level in each request's _meta.
func TestLoggingPerRequestLevel(t *testing.T) {
	logs := &clientLogs{}
	cs := connect(t, nil, logs)
	ctx := context.Background()
	for _, tt := range []struct {
		level string
		want  int
	}{{"", 0}, {"error", 0}, {"debug", 1}} {
		p := &mcp.CallToolParams{Name: "health_check"}
		if tt.level != "" {
			p.Meta = mcp.Meta{mcp.MetaKeyLogLevel: tt.level}
		}
		before := logs.count()
		if _, err := cs.CallTool(ctx, p); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if got := logs.count() - before; got != tt.want {
			t.Errorf("level %q: %d messages, want %d", tt.level, got, tt.want)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPromptsFollowEnabledTools: a workflow prompt is listed only when the tools it names
// are enabled.
func TestPromptsFollowEnabledTools(t *testing.T) {
	names := func(cs *mcp.ClientSession) []string {
		lp, err := cs.ListPrompts(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range lp.Prompts {
			out = append(out, p.Name)
		}
		return out
	}
	if got := names(connect(t, nil, nil)); strings.Join(got, ",") != "diagnose_gwmcp" {
		t.Errorf("prompts with only health_check = %v", got)
	}
	reg := tools.NewRegistry()
	for _, n := range []string{"search_gmail_messages", "get_gmail_messages_content_batch"} {
		tools.Add(reg, &mcp.Tool{Name: n}, tools.Spec{Service: "gmail"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
			return nil, struct{}{}, nil
		})
	}
	cs := connect(t, reg, nil)
	got := names(cs)
	if strings.Join(got, ",") != "diagnose_gwmcp,summarize_unread_mail" {
		t.Fatalf("prompts with gmail tools = %v", got)
	}
	ctx := context.Background()
	gp, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarize_unread_mail", Arguments: map[string]string{"newer_than": "7d"}})
	if err != nil {
		t.Fatal(err)
	}
	text := gp.Messages[0].Content.(*mcp.TextContent).Text
	if !strings.Contains(text, "is:unread newer_than:7d") || !strings.Contains(text, "page size 20") {
		t.Errorf("prompt text = %q", text)
	}
	if _, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarize_unread_mail", Arguments: map[string]string{"max_messages": "1000"}}); err == nil {
		t.Error("max_messages=1000 accepted")
	}
	var st Status
	res, _ := cs.CallTool(ctx, &mcp.CallToolParams{Name: "health_check"})
	_ = json.Unmarshal(mustJSON(t, res.StructuredContent), &st)
	if strings.Join(st.EnabledServices, ",") != "gmail" || st.Tools != 3 {
		t.Errorf("status with gmail tools = %+v", st)
	}
}

// TestPanickingToolDoesNotKillTheServer: the tool answers with a tool error and the session
// keeps working.
func TestPanickingToolDoesNotKillTheServer(t *testing.T) {
	reg := tools.NewRegistry()
	tools.Add(reg, &mcp.Tool{Name: "boom"}, tools.Spec{}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
		panic("kaboom")
	})
	cs := connect(t, reg, nil)
	ctx := context.Background()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "boom"})
	if err != nil || !res.IsError {
		t.Fatalf("panicking tool: %v %+v", err, res)
	}
	if text := res.Content[0].(*mcp.TextContent).Text; strings.Contains(text, "kaboom") || strings.Contains(text, "goroutine") {
		t.Errorf("tool error leaks the panic: %q", text)
	}
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "health_check"}); err != nil {
		t.Errorf("session broken after a panic: %v", err)
	}
	if _, err := cs.ListTools(ctx, nil); err != nil {
		t.Errorf("tools/list (no params) after a panic: %v", err)
	}
}

// TestHealthCheckOutputMatchesItsSchema: health_check builds its result itself (the SDK does
// not validate it), so the structured content is checked against the declared schema here.
func TestHealthCheckOutputMatchesItsSchema(t *testing.T) {
	cs := connect(t, nil, nil)
	ctx := context.Background()
	lt, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var schema jsonschema.Schema
	for _, tool := range lt.Tools {
		if tool.Name == "health_check" {
			if err := json.Unmarshal(mustJSON(t, tool.OutputSchema), &schema); err != nil {
				t.Fatal(err)
			}
		}
	}
	resolved, err := schema.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "health_check"})
	if err != nil || res.IsError {
		t.Fatal(err, res)
	}
	var instance map[string]any
	if err := json.Unmarshal(mustJSON(t, res.StructuredContent), &instance); err != nil {
		t.Fatal(err)
	}
	if err := resolved.Validate(instance); err != nil {
		t.Errorf("health_check output does not match its schema: %v", err)
	}
	if text := res.Content[0].(*mcp.TextContent).Text; !strings.Contains(text, `"status":"ok"`) {
		t.Errorf("text content = %q", text)
	}
}
