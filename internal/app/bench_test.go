package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/config"
	"github.com/gwmcp/gwmcp/internal/secret"
)

// benchCalls has b.N tool calls made by 32 concurrent MCP sessions against handler.
func benchCalls(b *testing.B, handler http.Handler, tool string) {
	srv := httptest.NewServer(handler)
	defer srv.Close()
	benchURL(b, srv.URL, "", tool)
}

// benchURL is benchCalls against a running server, with a bearer token if given.
func benchURL(b *testing.B, base, token, tool string) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	var rt http.RoundTripper = tr
	if token != "" {
		rt = bearerTransport{token: token, next: tr}
	}
	hc := &http.Client{Transport: rt}
	srv := struct{ URL string }{base}
	const clients = 32
	sessions := make(chan *mcp.ClientSession, clients)
	for range clients {
		c := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
		cs, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: srv.URL + "/mcp", HTTPClient: hc, MaxRetries: -1, DisableStandaloneSSE: true}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer cs.Close()
		sessions <- cs
	}
	b.SetParallelism((clients + 1) / 2) // GOMAXPROCS=2 here: 32 goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		cs := <-sessions
		defer func() { sessions <- cs }()
		for pb.Next() {
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool})
			if err != nil || res.IsError {
				b.Errorf("call: %v %+v", err, res)
				return
			}
		}
	})
}

// BenchmarkHealthCheckHTTP is gwmcp's whole HTTP stack serving health_check.
func BenchmarkHealthCheckHTTP(b *testing.B) {
	cfg := httpConfig(&testing.T{})
	cfg.CredentialsDir = b.TempDir()
	a, err := New(context.Background(), Options{Config: cfg, Logger: NewLogger(io.Discard, LogOptions{})})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	benchCalls(b, a.Handler(), "health_check")
}

// BenchmarkBareNoopHTTP is the baseline: the go-sdk handler alone with a no-op tool.
func BenchmarkBareNoopHTTP(b *testing.B) {
	s := mcp.NewServer(&mcp.Implementation{Name: "bare", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "noop"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
		return nil, struct{}{}, nil
	})
	mux := http.NewServeMux()
	mux.Handle("/mcp", mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil))
	benchCalls(b, mux, "noop")
}

type bearerTransport struct {
	token string
	next  http.RoundTripper
}

func (t bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(r)
}

// BenchmarkAuthOverhead serves health_check to 32 sessions from two gwmcp servers alike in
// everything (sandbox Google, in-memory state) but authentication: one requires gwmcp's OAuth
// bearer tokens (verification on the cache-hit path, scope check, session binding), the other
// runs without (loopback). Rounds alternate so both see the same machine noise; compare
// ns/op of the auth and open rounds.
func BenchmarkAuthOverhead(b *testing.B) {
	authed, authBase := sandboxHTTP(b, nil)
	_ = authed.Sandbox().SetAutoApprove("bob@sandbox.example")
	token := lastToken(b, authBase)
	_, openBase := sandboxHTTP(b, func(c *config.Config) {
		c.Sandbox, c.CredentialMode, c.StoreURL = false, "MEMORY_ONLY", secret.String{}
	})
	for round := range 3 {
		b.Run(fmt.Sprintf("auth-%d", round), func(b *testing.B) { benchURL(b, authBase, token, "health_check") })
		b.Run(fmt.Sprintf("open-%d", round), func(b *testing.B) { benchURL(b, openBase, "", "health_check") })
	}
}

// BenchmarkIdleSessionMemory opens 10,000 MCP sessions (initialize and initialized, then
// idle) and reports the heap each one keeps: the SDK's session and gwmcp's binding record
// in the store. Target: under 4 KB a session, 40 MB for 10,000.
func BenchmarkIdleSessionMemory(b *testing.B) {
	const n = 10000
	for range b.N {
		cfg := config.Defaults()
		cfg.Transport, cfg.CredentialsDir, cfg.CredentialMode = config.TransportHTTP, b.TempDir(), "MEMORY_ONLY"
		a, err := New(context.Background(), Options{Config: cfg, Logger: NewLogger(io.Discard, LogOptions{}), StateStore: "memory"})
		if err != nil {
			b.Fatal(err)
		}
		h := a.Handler()
		open := func() string {
			req := httptest.NewRequest(http.MethodPost, "http://localhost:8002/mcp", strings.NewReader(initBody))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			sid := rec.Header().Get("Mcp-Session-Id")
			if rec.Code != 200 || sid == "" {
				b.Fatalf("initialize: %d", rec.Code)
			}
			note := httptest.NewRequest(http.MethodPost, "http://localhost:8002/mcp", strings.NewReader(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))
			note.Header.Set("Content-Type", "application/json")
			note.Header.Set("Accept", "application/json, text/event-stream")
			note.Header.Set("Mcp-Session-Id", sid)
			note.Header.Set("Mcp-Protocol-Version", "2025-06-18")
			h.ServeHTTP(httptest.NewRecorder(), note)
			return sid
		}
		open() // warm: tools installed, caches built
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		for range n {
			open()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		// Heap and goroutine stacks together: what the sessions cost the process.
		used := float64(after.HeapAlloc+after.StackInuse) - float64(before.HeapAlloc+before.StackInuse)
		b.ReportMetric(used/n, "B/session")
		b.ReportMetric(used/(1<<20), "MB/10k")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/session")
		a.Close()
	}
}
