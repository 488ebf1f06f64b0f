package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/secret"
)

// googleEnv is an environment whose Google is a sandbox running in the test process.
func googleEnv(t *testing.T, auto string) (*sandbox.Sandbox, []string, string) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{AutoApprove: auto})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	sb.SetIssuer(srv.URL)
	port := freePort(t)
	base := "http://localhost:" + port
	if err := sb.AddClient(sandbox.Client{ID: "cli-test", Secret: secret.New("cli-secret"), RedirectURIs: []string{base + "/oauth2callback"}, Desktop: true}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "CREDENTIALS_DIR=" + dir,
		"GOOGLE_OAUTH_ISSUER=" + srv.URL, "GOOGLE_API_BASE_URL=" + srv.URL,
		"GOOGLE_CLIENT_ID=cli-test", "GOOGLE_CLIENT_SECRET=cli-secret", "SERVER_PORT=" + port}
	return sb, env, port
}

// TestAuthLoginListRevokeAndDevToken walks flow 2 from the terminal, then flow 5: a
// development token minted by the CLI is accepted by a server with ENABLE_DEV_TOKENS and acts
// as the account the terminal connected; finally revoke reaches Google.
func TestAuthLoginListRevokeAndDevToken(t *testing.T) {
	sb, env, port := googleEnv(t, "alice@sandbox.example")

	// auth login --no-browser: read the URL it prints, "open" it (the sandbox approves and
	// sends the browser to the CLI's loopback listener).
	login := command(t, env, "auth", "login", "--no-browser", "--services", "calendar")
	stdout, _ := login.StdoutPipe()
	stdin, _ := login.StdinPipe()
	defer stdin.Close()
	var stderr strings.Builder
	login.Stderr = &stderr
	if err := login.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var out strings.Builder
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if u := strings.TrimSpace(line); strings.HasPrefix(u, "http") {
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		if strings.HasPrefix(line, "Connected") {
			break
		}
	}
	if err := login.Wait(); err != nil || !strings.Contains(out.String(), "Connected alice@sandbox.example.") {
		t.Fatalf("auth login: %v\n%s\n%s", err, out.String(), stderr.String())
	}

	list, err := run(t, env, "auth", "list")
	if err != nil || !strings.Contains(list, "alice@sandbox.example") || !strings.Contains(list, "yes") || !strings.Contains(list, "calendar") {
		t.Fatalf("auth list: %v\n%s", err, list)
	}

	tok, err := run(t, env, "token", "dev", "--email", "alice@sandbox.example", "--scopes", "calendar.readonly", "--ttl", "10m")
	if err != nil {
		t.Fatalf("token dev: %v %s", err, tok)
	}
	tok = strings.TrimSpace(tok)

	// A server on HTTP with dev tokens on accepts it; the principal acts as alice.
	srv := command(t, append(env, "ENABLE_DEV_TOKENS=true"), "serve", "--transport", "http")
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	base := "http://127.0.0.1:" + port
	waitReady(t, base)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hc := &http.Client{Transport: bearerRT{tok: tok}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "dev", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: base + "/mcp", HTTPClient: hc, DisableStandaloneSSE: true, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatalf("connect with a dev token: %v", err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_calendars"})
	if err != nil || res.IsError || !strings.Contains(textOf(res), "America/New_York") {
		t.Fatalf("list_calendars as the dev principal: %v %s", err, textOf(res))
	}
	// Beyond the token's scopes: refused with a message.
	res, _ = cs.CallTool(ctx, &mcp.CallToolParams{Name: "create_event", Arguments: map[string]any{"summary": "x", "start_time": "2026-12-01T10:00:00Z", "end_time": "2026-12-01T11:00:00Z"}})
	if res == nil || !res.IsError {
		t.Error("a calendar.readonly dev token created an event")
	}
	cs.Close()
	// A forged token (another key) is refused.
	forged := tok[:len(tok)-4] + "AAAA"
	cs2, err := mcp.NewClient(&mcp.Implementation{Name: "dev", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: base + "/mcp", HTTPClient: &http.Client{Transport: bearerRT{tok: forged}}, MaxRetries: -1}, nil)
	if err == nil {
		cs2.Close()
		t.Error("a forged dev token was accepted")
	}
	_ = srv.Process.Kill()
	_ = srv.Wait()

	before := sb.Stats().Revocations
	out2, err := run(t, env, "auth", "revoke", "alice@sandbox.example")
	if err != nil || !strings.Contains(out2, "revoked at Google: 1") || sb.Stats().Revocations != before+1 {
		t.Fatalf("auth revoke: %v\n%s", err, out2)
	}
	if list, _ := run(t, env, "auth", "list"); !strings.Contains(list, "No Google account") {
		t.Errorf("after revoke: %s", list)
	}
	if _, err := run(t, env, "auth", "revoke"); err == nil {
		t.Error("revoke without an address or --all succeeded")
	}
}

type bearerRT struct{ tok string }

func (b bearerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.tok)
	return http.DefaultTransport.RoundTrip(r)
}

func textOf(res *mcp.CallToolResult) string {
	if res == nil {
		return ""
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func TestDoctor(t *testing.T) {
	_, env, _ := googleEnv(t, "")
	out, err := run(t, env, "doctor")
	if err != nil || !strings.Contains(out, "discovered") || !strings.Contains(out, "clock within") || !strings.Contains(out, "No problem found") {
		t.Fatalf("doctor on a good set-up: %v\n%s", err, out)
	}
	var dir string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "CREDENTIALS_DIR="); ok {
			dir = v
		}
	}
	if err := os.Chmod(filepath.Join(dir, ".auth_encryption_key"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, append(env, "OAUTH_REDIRECT_URI=https://elsewhere.example/cb"), "doctor")
	if err == nil || !strings.Contains(out, "[FAIL] encryption key") || !strings.Contains(out, "fix: ") || !strings.Contains(out, "not on BASE_URL's host") {
		t.Fatalf("doctor on a bad set-up: %v\n%s", err, out)
	}
}

// TestSessionsCommands: sessions opened on a server sharing Redis are listed and ended by an
// administrator; an ended session's id stops working.
func TestSessionsCommands(t *testing.T) {
	port := freePort(t)
	prefix := "gwmcp-cli-sessions-" + port + ":"
	env := cleanEnv(t, "STORE_URL=redis://127.0.0.1:6379/3?prefix="+prefix, "AUTH_ENCRYPTION_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "SERVER_PORT="+port)
	srv := command(t, env, "serve", "--transport", "http")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	base := "http://127.0.0.1:" + port
	waitReady(t, base)
	ctx := context.Background()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: base + "/mcp", MaxRetries: -1, DisableStandaloneSSE: true}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		if os.Getenv("CI") == "" && strings.Contains(err.Error(), "connection refused") {
			t.Skip("no Redis")
		}
		t.Fatal(err)
	}
	defer cs.Close()
	out, err := run(t, env, "sessions", "list")
	if err != nil || strings.Count(out, "local:") != 1 {
		t.Fatalf("sessions list: %v\n%s", err, out)
	}
	handle := strings.Fields(strings.Split(out, "\n")[1])[0]
	if out, err := run(t, env, "sessions", "end", handle); err != nil || !strings.Contains(out, "ended") {
		t.Fatalf("sessions end: %v %s", err, out)
	}
	if _, err := cs.ListTools(ctx, nil); err == nil {
		t.Error("an ended session still works")
	}
}
