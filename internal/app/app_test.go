package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/config"
	"github.com/gwmcp/gwmcp/internal/mcpserver"
	"github.com/gwmcp/gwmcp/internal/tools"
)

// server is a running http transport for a test.
type server struct {
	app  *App
	url  string // http://127.0.0.1:port
	done chan error
	stop context.CancelFunc
}

func httpConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := config.Defaults()
	cfg.Transport = config.TransportHTTP
	cfg.Port = 0
	cfg.CredentialsDir = t.TempDir()
	return cfg
}

func startHTTP(t *testing.T, cfg config.Config, o Options) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseURL = "http://" + ln.Addr().String()
	o.Config = cfg
	if o.Logger == nil {
		o.Logger = NewLogger(io.Discard, LogOptions{})
	}
	a, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{app: a, url: cfg.BaseURL, done: make(chan error, 1), stop: cancel}
	go func() { s.done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return s
}

func connect(t *testing.T, endpoint string) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: endpoint, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func TestHTTPHealthCheckThroughSDKClient(t *testing.T) {
	for _, stateless := range []bool{false, true} {
		t.Run(map[bool]string{false: "stateful", true: "stateless"}[stateless], func(t *testing.T) {
			cfg := httpConfig(t)
			cfg.Stateless = stateless
			s := startHTTP(t, cfg, Options{Version: "v-test"})
			cs := connect(t, s.url+"/mcp")
			if got := cs.InitializeResult().ServerInfo; got.Name != "gwmcp" || got.Version != "v-test" {
				t.Errorf("server info = %+v", got)
			}
			if stateful := cs.ID() != ""; stateful == stateless {
				t.Errorf("session id %q with stateless=%v", cs.ID(), stateless)
			}
			lt, err := cs.ListTools(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var health *mcp.Tool
			for _, tool := range lt.Tools {
				if tool.Name == "health_check" {
					health = tool
				}
			}
			if health == nil || health.OutputSchema == nil {
				t.Fatalf("no health_check with an output schema among %d tools", len(lt.Tools))
			}
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "health_check"})
			if err != nil || res.IsError {
				t.Fatalf("call: %v %+v", err, res)
			}
			var st mcpserver.Status
			b, _ := json.Marshal(res.StructuredContent)
			if err := json.Unmarshal(b, &st); err != nil {
				t.Fatal(err)
			}
			if st.Status != "ok" || st.Transport != "http" || st.Version != "v-test" || st.Config.BaseURL != s.url || st.Config.Stateless != stateless {
				t.Errorf("status = %+v", st)
			}
		})
	}
}

func TestSessionIDsAre256Bit(t *testing.T) {
	s := startHTTP(t, httpConfig(t), Options{})
	cs := connect(t, s.url+"/mcp")
	// 32 bytes in unpadded base64url is 43 characters.
	if len(cs.ID()) != 43 {
		t.Errorf("session id %q has %d characters, want 43 (256 bits)", cs.ID(), len(cs.ID()))
	}
}

func TestHealthAndReady(t *testing.T) {
	cfg := httpConfig(t)
	a, err := New(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	get := func(path string) int {
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		rec := newRecorder()
		a.Handler().ServeHTTP(rec, req)
		return rec.status
	}
	if code := get("/health"); code != 200 {
		t.Errorf("/health = %d", code)
	}
	if code := get("/ready"); code != 503 {
		t.Errorf("/ready before serving = %d, want 503", code)
	}
	if code := get("/nope"); code != 404 {
		t.Errorf("/nope = %d", code)
	}
}

type recorder struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func newRecorder() *recorder                    { return &recorder{header: http.Header{}, status: 200} }
func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.status = code }

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

func postMCP(t *testing.T, url string, body io.Reader, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestOriginAndHostChecks(t *testing.T) {
	cfg := httpConfig(t)
	cfg.AllowedOrigins = []string{"https://app.example.com"}
	s := startHTTP(t, cfg, Options{})
	port := strings.TrimPrefix(s.url, "http://127.0.0.1:")
	tests := []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"no origin", nil, 200},
		{"own origin", map[string]string{"Origin": s.url}, 200},
		{"configured origin", map[string]string{"Origin": "https://app.example.com"}, 200},
		{"loopback origin other port", map[string]string{"Origin": "http://localhost:6274"}, 200},
		{"foreign origin", map[string]string{"Origin": "https://evil.example"}, 403},
		{"null origin", map[string]string{"Origin": "null"}, 403},
		{"origin lookalike", map[string]string{"Origin": "https://app.example.com.evil.example"}, 403},
		{"dns rebinding host", map[string]string{"Host": "evil.example:" + port}, 403},
		{"rebinding host with loopback origin", map[string]string{"Host": "attacker.example", "Origin": "http://localhost:" + port}, 403},
		{"localhost host", map[string]string{"Host": "localhost:" + port}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := postMCP(t, s.url+"/mcp", strings.NewReader(initBody), tt.hdr)
			if resp.StatusCode != tt.want {
				b, _ := io.ReadAll(resp.Body)
				t.Errorf("status = %d, want %d (%s)", resp.StatusCode, tt.want, b)
			}
		})
	}
}

func TestOversizedAndMalformedBodies(t *testing.T) {
	cfg := httpConfig(t)
	cfg.MaxRequestBytes = 64 << 10
	s := startHTTP(t, cfg, Options{})
	big := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"pad":"` + strings.Repeat("a", 100<<10) + `"}}`
	// Known length: refused before reading.
	if resp := postMCP(t, s.url+"/mcp", strings.NewReader(big), nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d, want 413", resp.StatusCode)
	}
	// Unknown length (chunked): refused while reading.
	pr, pw := io.Pipe()
	go func() { _, _ = pw.Write([]byte(big)); pw.Close() }()
	if resp := postMCP(t, s.url+"/mcp", pr, nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized chunked body: status %d, want 413", resp.StatusCode)
	}
	for _, body := range []string{"{", "[]", `{"jsonrpc":"2.0"}`, "\x00\xff", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":`} {
		resp := postMCP(t, s.url+"/mcp", strings.NewReader(body), nil)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("malformed body %q: status %d, want 4xx", body, resp.StatusCode)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := startHTTP(t, httpConfig(t), Options{})
	resp, err := http.Get(s.url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Content-Security-Policy": config.DefaultCSP} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP")
	}
}

// TestGracefulShutdown starts a tool call that blocks, begins the shutdown, checks that /ready
// turns 503 while the call is still running, then lets the call finish and expects its result
// to arrive and Serve to return cleanly.
func TestGracefulShutdown(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	reg := tools.NewRegistry()
	tools.Add(reg, &mcp.Tool{Name: "slow"}, tools.Spec{}, func(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, struct{ Done bool }, error) {
		close(entered)
		<-release
		return nil, struct{ Done bool }{true}, nil
	})
	cfg := httpConfig(t)
	s := startHTTP(t, cfg, Options{Tools: reg, ShutdownTimeout: 20 * time.Second})
	cs := connect(t, s.url+"/mcp")

	var wg sync.WaitGroup
	var res *mcp.CallToolResult
	var callErr error
	called := make(chan struct{})
	wg.Go(func() {
		defer close(called)
		res, callErr = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "slow"})
	})
	select {
	case <-entered:
	case <-called:
		t.Fatalf("call returned before the tool ran: %v %+v", callErr, res)
	}
	s.stop() // begin shutdown
	deadline := time.Now().Add(5 * time.Second)
	for s.app.Ready() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s.app.Ready() {
		t.Fatal("still ready after shutdown began")
	}
	rec := newRecorder()
	req, _ := http.NewRequest(http.MethodGet, "/ready", nil)
	s.app.Handler().ServeHTTP(rec, req)
	if rec.status != http.StatusServiceUnavailable {
		t.Errorf("/ready during shutdown = %d, want 503", rec.status)
	}
	select {
	case err := <-s.done:
		t.Fatalf("server stopped before the in-flight call finished: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	wg.Wait()
	if callErr != nil || res == nil || res.IsError {
		t.Fatalf("in-flight call lost: %v %+v", callErr, res)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
		s.done <- nil // for cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("server did not finish shutting down")
	}
}

func TestStdioTransport(t *testing.T) {
	cfg := config.Defaults()
	cfg.CredentialsDir = t.TempDir()
	clientT, serverT := mcp.NewInMemoryTransports()
	_ = serverT
	// Drive the real stdio path through pipes.
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	a, err := New(context.Background(), Options{Config: cfg, Stdin: inR, Stdout: outW})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	_ = clientT
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &mcp.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "health_check"})
	if err != nil || res.IsError {
		t.Fatalf("call: %v %+v", err, res)
	}
	cs.Close()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("stdio server did not stop when the client closed")
	}
}

func TestMetrics(t *testing.T) {
	s := startHTTP(t, httpConfig(t), Options{})
	cs := connect(t, s.url+"/mcp")
	if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "health_check"}); err != nil {
		t.Fatal(err)
	}
	_, _ = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "no_such_tool_" + strings.Repeat("x", 10)})
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{`gwmcp_tool_calls_total{outcome="ok",tool="health_check"} 1`, `gwmcp_http_requests_total{code="200",route="/mcp"}`,
		`gwmcp_tool_call_duration_seconds_bucket`, `go_goroutines`, `tool="unknown"`} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, "no_such_tool") {
		t.Error("a client-chosen tool name became a label")
	}
}

func TestLogsRedactSessionIDs(t *testing.T) {
	var buf strings.Builder
	sw := &syncWriter{w: &buf}
	log := NewLogger(sw, LogOptions{JSON: true, Debug: true})
	s := startHTTP(t, httpConfig(t), Options{Logger: log})
	cs := connect(t, s.url+"/mcp")
	id := cs.ID()
	cs.Close()
	time.Sleep(50 * time.Millisecond)
	sw.mu.Lock()
	logs := buf.String()
	sw.mu.Unlock()
	if id == "" || strings.Contains(logs, id) {
		t.Errorf("a session id reached the logs")
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
