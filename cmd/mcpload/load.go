package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type loadOptions struct {
	url      string
	tool     string
	argsJSON string
	clients  int
	duration time.Duration
	token    string
}

func (o *loadOptions) flags(fs *flag.FlagSet, prefix string) {
	defURL, defTool := "http://127.0.0.1:8002/mcp", "health_check"
	if prefix != "" {
		defURL, defTool = "http://127.0.0.1:8003/mcp", "noop"
	}
	fs.StringVar(&o.url, prefix+"url", defURL, "MCP endpoint")
	fs.StringVar(&o.tool, prefix+"tool", defTool, "tool to call")
	fs.StringVar(&o.argsJSON, prefix+"args", "{}", "tool arguments as a JSON object")
	if prefix == "" {
		fs.IntVar(&o.clients, "c", 32, "concurrent clients (one MCP session each)")
		fs.DurationVar(&o.duration, "d", 10*time.Second, "how long to call")
		fs.StringVar(&o.token, "token", os.Getenv("MCPLOAD_TOKEN"), "bearer token (default $MCPLOAD_TOKEN)")
	}
}

type loadResult struct {
	url           string
	clients       int
	calls, errors int
	firstErr      error
	elapsed       time.Duration
	p50, p90, p99 time.Duration
}

func (r loadResult) rps() float64 { return float64(r.calls) / r.elapsed.Seconds() }

func (r loadResult) String() string {
	s := fmt.Sprintf("%s: %d clients, %d calls in %s: %.0f req/s, p50 %s, p90 %s, p99 %s, %d errors",
		r.url, r.clients, r.calls, r.elapsed.Round(time.Millisecond), r.rps(),
		r.p50.Round(time.Microsecond), r.p90.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.errors)
	if r.firstErr != nil {
		s += " (first: " + r.firstErr.Error() + ")"
	}
	return s
}

func (r loadResult) err() error {
	if r.errors > 0 {
		return fmt.Errorf("%d calls failed; first: %w", r.errors, r.firstErr)
	}
	if r.calls == 0 {
		return errors.New("no call completed")
	}
	return nil
}

// bearer adds the Authorization header to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// load connects o.clients MCP sessions, then has each call the tool back to back until the
// duration ends. Connection set-up is not timed.
func load(ctx context.Context, o loadOptions) (loadResult, error) {
	var args map[string]any
	if err := json.Unmarshal([]byte(o.argsJSON), &args); err != nil {
		return loadResult{}, fmt.Errorf("-args must be a JSON object: %w", err)
	}
	if o.clients < 1 || o.duration <= 0 {
		return loadResult{}, errors.New("-c must be at least 1 and -d positive")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = o.clients * 2
	var rt http.RoundTripper = tr
	if o.token != "" {
		rt = bearer{token: o.token, next: tr}
	}
	hc := &http.Client{Transport: rt}
	sessions := make([]*mcp.ClientSession, o.clients)
	for i := range sessions {
		c := mcp.NewClient(&mcp.Implementation{Name: "mcpload", Version: "1"}, nil)
		cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: o.url, HTTPClient: hc, MaxRetries: -1, DisableStandaloneSSE: true}, nil)
		if err != nil {
			return loadResult{}, fmt.Errorf("connecting client %d to %s: %w", i, o.url, err)
		}
		defer cs.Close()
		sessions[i] = cs
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		res       = loadResult{url: o.url, clients: o.clients}
		wg        sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(o.duration)
	for _, cs := range sessions {
		wg.Go(func() {
			local := make([]time.Duration, 0, 4096)
			var errs int
			var first error
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				r, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: o.tool, Arguments: args})
				d := time.Since(t0)
				if err == nil && r.IsError {
					err = fmt.Errorf("tool error: %s", toolText(r))
				}
				if err != nil {
					errs++
					if first == nil {
						first = err
					}
					continue
				}
				local = append(local, d)
			}
			mu.Lock()
			latencies = append(latencies, local...)
			res.errors += errs
			if res.firstErr == nil {
				res.firstErr = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.calls = len(latencies)
	if len(latencies) > 0 {
		slices.Sort(latencies)
		res.p50, res.p90, res.p99 = pct(latencies, 50), pct(latencies, 90), pct(latencies, 99)
	}
	return res, ctx.Err()
}

func toolText(r *mcp.CallToolResult) string {
	for _, c := range r.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			return t.Text
		}
	}
	return "(no text)"
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p+99)/100 - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// compare runs a and b alternately (a, b, a, b, ...) so both see the same machine noise, and
// reports the ratio of their median throughputs.
func compare(ctx context.Context, a, b loadOptions, rounds int, out io.Writer) error {
	var ra, rb []float64
	for i := range rounds {
		for _, side := range []struct {
			o    loadOptions
			rate *[]float64
		}{{a, &ra}, {b, &rb}} {
			res, err := load(ctx, side.o)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "round %d  %s\n", i+1, res)
			if err := res.err(); err != nil {
				return err
			}
			*side.rate = append(*side.rate, res.rps())
		}
	}
	ma, mb := median(ra), median(rb)
	fmt.Fprintf(out, "median %s: %.0f req/s; median %s: %.0f req/s; ratio %.3f\n", a.url, ma, b.url, mb, ma/mb)
	return nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
