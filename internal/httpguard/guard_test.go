package httpguard

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestOriginPolicyBehindNonLoopback(t *testing.T) {
	p := NewOriginPolicy("https://mcp.example.com", []string{"https://app.example.com:8443"})
	tests := []struct {
		origin string
		want   bool
	}{
		{"", true},
		{"https://mcp.example.com", true},
		{"https://MCP.example.com:443", true},
		{"https://app.example.com:8443", true},
		{"https://app.example.com", false},
		{"http://mcp.example.com", false},
		{"http://localhost:6274", false}, // loopback origins only count on loopback connections
		{"null", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "https://mcp.example.com/mcp", nil)
		r = r.WithContext(withLocalAddr(r, "10.0.0.5:443"))
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if got := p.Check(r) == ""; got != tt.want {
			t.Errorf("origin %q: allowed=%v, want %v", tt.origin, got, tt.want)
		}
	}
}

func withLocalAddr(r *http.Request, addr string) context.Context {
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		panic(err)
	}
	return context.WithValue(r.Context(), http.LocalAddrContextKey, a)
}

func TestRecoverHidesPanic(t *testing.T) {
	h := Recover(slog.New(slog.NewTextHandler(io.Discard, nil)), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret detail")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret detail") || strings.Contains(rec.Body.String(), "goroutine") {
		t.Errorf("recover answered %d %q", rec.Code, rec.Body.String())
	}
}

func TestLimitBody(t *testing.T) {
	h := LimitBody(10, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			WriteJSONError(w, http.StatusRequestEntityTooLarge, "too_large", "too large")
			return
		}
		w.WriteHeader(200)
	}))
	for _, tt := range []struct {
		body string
		want int
	}{{"short", 200}, {"far too long a body", 413}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body)))
		if rec.Code != tt.want {
			t.Errorf("body %q: %d, want %d", tt.body, rec.Code, tt.want)
		}
	}
}

func TestAccessLogRedactsCapabilities(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := AccessLog(log, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), "/drive-upload/")
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPut, "/drive-upload/SECRETTICKET?code=abc", nil))
	if strings.Contains(buf.String(), "SECRETTICKET") || strings.Contains(buf.String(), "abc") || !strings.Contains(buf.String(), "/drive-upload/[redacted]") {
		t.Errorf("access log: %s", buf.String())
	}
}
