package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// benchCalls has b.N tool calls made by 32 concurrent MCP sessions against handler.
func benchCalls(b *testing.B, handler http.Handler, tool string) {
	srv := httptest.NewServer(handler)
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	hc := &http.Client{Transport: tr}
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
