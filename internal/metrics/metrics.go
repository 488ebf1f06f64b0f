// Package metrics owns gwmcp's Prometheus metrics: one registry per server (no globals), the
// /metrics handler, HTTP request counts by route and status, and MCP tool-call counts and
// durations by tool and outcome. Labels never carry a principal, an email or an id.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one server's metrics.
type Metrics struct {
	reg       *prometheus.Registry
	http      *prometheus.CounterVec
	toolCalls *prometheus.CounterVec
	toolTime  *prometheus.HistogramVec
	known     func(tool string) bool
}

// New registers gwmcp's metrics and the Go runtime's. known says whether a tool name is one
// of the server's (others are counted as "unknown", so clients cannot grow the label set).
func New(version string, known func(tool string) bool) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), known: known}
	m.http = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gwmcp_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"})
	m.toolCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gwmcp_tool_calls_total", Help: "MCP tool calls by tool and outcome (ok, tool_error, protocol_error)."}, []string{"tool", "outcome"})
	m.toolTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gwmcp_tool_call_duration_seconds", Help: "MCP tool call duration by tool.",
		Buckets: []float64{.001, .005, .02, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"tool"})
	info := prometheus.NewGauge(prometheus.GaugeOpts{Name: "gwmcp_build_info", Help: "gwmcp version.", ConstLabels: prometheus.Labels{"version": version}})
	info.Set(1)
	m.reg.MustRegister(m.http, m.toolCalls, m.toolTime, info, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the Prometheus exposition.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// route maps a path to a bounded label.
func route(path string) string {
	for _, p := range []string{"/mcp", "/health", "/ready", "/metrics", "/.well-known/", "/oauth/register", "/oauth/authorize", "/oauth/token",
		"/oauth/revoke", "/oauth2callback", "/auth/link/", "/drive-upload/", "/attachment-download/", "/register"} {
		if path == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) || strings.HasPrefix(path, p+"/") {
			return strings.TrimSuffix(p, "/")
		}
	}
	return "other"
}

// HTTP counts requests by route and status.
func (m *Metrics) HTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &status{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		m.http.WithLabelValues(route(r.URL.Path), strconv.Itoa(rec.code)).Inc()
	})
}

type status struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *status) WriteHeader(c int) {
	if !s.wrote {
		s.code, s.wrote = c, true
	}
	s.ResponseWriter.WriteHeader(c)
}

func (s *status) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (flushes, deadlines).
func (s *status) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Middleware counts and times tool calls.
func (m *Metrics) Middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if method != "tools/call" {
			return next(ctx, method, req)
		}
		tool := "unknown"
		if r, ok := req.(*mcp.ServerRequest[*mcp.CallToolParamsRaw]); ok && r.Params != nil && m.known(r.Params.Name) {
			tool = r.Params.Name
		}
		start := time.Now()
		res, err := next(ctx, method, req)
		outcome := "ok"
		if err != nil {
			outcome = "protocol_error"
		} else if r, ok := res.(*mcp.CallToolResult); ok && r.IsError {
			outcome = "tool_error"
		}
		m.toolCalls.WithLabelValues(tool, outcome).Inc()
		m.toolTime.WithLabelValues(tool).Observe(time.Since(start).Seconds())
		return res, err
	}
}
