package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/config"
)

// binary is the gwmcp binary built once for the tests that run it as a real process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gwmcp-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "gwmcp")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v0.0.0-test", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building gwmcp:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cleanEnv is an environment with none of gwmcp's variables, so the machine's own settings
// (SSL_CERT_FILE is common) cannot change a test.
func cleanEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "CREDENTIALS_DIR=" + t.TempDir()}
	return append(env, extra...)
}

func command(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir() // no stray .env
	return cmd
}

func TestStdioEndToEnd(t *testing.T) {
	cmd := command(t, cleanEnv(t), "serve")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("initialize over stdio: %v (stderr: %s)", err, stderr.String())
	}
	defer cs.Close()
	if v := cs.InitializeResult().ServerInfo.Version; v != "v0.0.0-test" {
		t.Errorf("server version = %q", v)
	}
	lt, err := cs.ListTools(ctx, nil)
	if err != nil || len(lt.Tools) == 0 {
		t.Fatalf("tools/list: %v %v", err, lt)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "health_check"})
	if err != nil || res.IsError {
		t.Fatalf("tools/call health_check: %v %+v", err, res)
	}
	if got := res.StructuredContent.(map[string]any)["transport"]; got != "stdio" {
		t.Errorf("transport = %v", got)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s/ready never answered 200", url)
}

// TestHTTPEndToEnd runs the real binary on Streamable HTTP, drives it with the SDK client,
// then stops it with SIGTERM and expects a clean exit.
func TestHTTPEndToEnd(t *testing.T) {
	port := freePort(t)
	const secretValue = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	cmd := command(t, cleanEnv(t, "ENHANCED_LOGGING=true", "AUTH_ENCRYPTION_KEY="+secretValue),
		"serve", "--transport", "http", "--port", port)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()
	url := "http://127.0.0.1:" + port
	waitReady(t, url)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url + "/mcp"}, nil)
	if err != nil {
		t.Fatalf("initialize over HTTP: %v", err)
	}
	if _, err := cs.ListTools(ctx, nil); err != nil {
		t.Fatalf("tools/list: %v (stderr: %s)", err, stderr.String())
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "health_check"})
	if err != nil || res.IsError {
		t.Fatalf("tools/call: %v %+v", err, res)
	}
	cs.Close()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v (stderr: %s)", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	logs := stderr.String()
	if strings.Contains(logs, secretValue) {
		t.Errorf("logs contain the client secret:\n%s", logs)
	}
	// Logs are JSON when stderr is not a terminal, and debug detail is on.
	sc := bufio.NewScanner(strings.NewReader(logs))
	var sawDebug, sawShutdown bool
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", sc.Text())
			continue
		}
		sawDebug = sawDebug || rec["level"] == "DEBUG"
		sawShutdown = sawShutdown || rec["msg"] == "shutdown complete"
	}
	if !sawDebug || !sawShutdown {
		t.Errorf("want debug lines and a shutdown line with ENHANCED_LOGGING=true; got:\n%s", logs)
	}
}

// TestHTTPWithGoogleClientRequiresToken: with a Google OAuth client configured, /mcp answers
// 401 with the protected resource metadata, the discovery documents are served, and the
// client secret never reaches the logs.
func TestHTTPWithGoogleClientRequiresToken(t *testing.T) {
	port := freePort(t)
	const secretValue = "GOCSPX-never-print-me"
	cmd := command(t, cleanEnv(t, "ENHANCED_LOGGING=true", "GOOGLE_CLIENT_ID=cid.apps.googleusercontent.com", "GOOGLE_CLIENT_SECRET="+secretValue),
		"serve", "--transport", "http", "--port", port)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	url := "http://127.0.0.1:" + port
	waitReady(t, url)
	resp, err := http.Post(url+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `resource_metadata="http://localhost:`+port+`/.well-known/oauth-protected-resource/mcp"`) {
		t.Errorf("unauthenticated /mcp: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration", "/.well-known/jwks.json"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(body), "accounts.google.com") || strings.Contains(string(body), "cid.apps") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	if strings.Contains(stderr.String(), secretValue) {
		t.Errorf("logs contain the client secret")
	}
}

func TestConfigCommand(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("SERVER_HOST=0.0.0.0\nCREDENTIALS_DIR=/from/dotenv\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "config", "--port", "9100")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "MCP_TRANSPORT=http", "CREDENTIALS_DIR=/from/env",
		"FASTMCP_SERVER_AUTH_GOOGLE_CLIENT_ID=cid", "FASTMCP_SERVER_AUTH_GOOGLE_CLIENT_SECRET=GOCSPX-hidden-value"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gwmcp config: %v\n%s", err, out)
	}
	text := string(out)
	if strings.Contains(text, "GOCSPX-hidden-value") {
		t.Fatalf("config shows a secret:\n%s", text)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(text, "\n")[1:] {
		if f := strings.Fields(line); len(f) >= 3 {
			rows[f[0]] = f[1:]
		}
	}
	want := map[string]string{
		"SERVER_PORT":          "9100 flag --port",
		"SERVER_HOST":          "0.0.0.0 .env",
		"MCP_TRANSPORT":        "http environment",
		"CREDENTIALS_DIR":      "/from/env environment",
		"BASE_URL":             "http://localhost:9100 default",
		"GOOGLE_CLIENT_SECRET": "[redacted] environment (FASTMCP_SERVER_AUTH_GOOGLE_CLIENT_SECRET)",
	}
	for k, v := range want {
		if got := strings.Join(rows[k], " "); got != v {
			t.Errorf("%s row = %q, want %q", k, got, v)
		}
	}
}

func TestBadConfigIsOneSentenceAndNonZeroExit(t *testing.T) {
	tests := []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"serve"}, "SERVER_PORT=abc", `gwmcp: SERVER_PORT="abc" is not allowed`},
		{[]string{"serve", "--transport", "carrier-pigeon"}, "", `gwmcp: --transport (MCP_TRANSPORT)="carrier-pigeon" is not allowed: use stdio or http`},
		{[]string{"config"}, "BASE_URL=not a url", `gwmcp: BASE_URL="not a url" is not allowed`},
		{[]string{"serve", "extra"}, "", "gwmcp: unknown command"},
	}
	for _, tt := range tests {
		env := cleanEnv(t)
		if tt.env != "" {
			env = append(env, tt.env)
		}
		out, err := command(t, env, tt.args...).CombinedOutput()
		if err == nil {
			t.Errorf("%v with %s: exit 0, want failure", tt.args, tt.env)
			continue
		}
		text := strings.TrimSpace(string(out))
		if !strings.HasPrefix(text, tt.want) || strings.Count(text, "\n") > 0 || strings.Contains(text, "goroutine") {
			t.Errorf("%v with %s: output %q, want one line starting %q", tt.args, tt.env, text, tt.want)
		}
	}
}

func TestVersionCommand(t *testing.T) {
	out, err := command(t, cleanEnv(t), "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "gwmcp v0.0.0-test (go") {
		t.Errorf("version: %v %q", err, out)
	}
}

// TestReadmeDocumentsEveryVariable keeps the README's configuration table true.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range config.Vars() {
		if !strings.Contains(string(readme), "`"+v.Name+"`") {
			t.Errorf("README.md does not document %s", v.Name)
		}
	}
	if !strings.Contains(string(readme), "go test -race ./...") {
		t.Error("README.md does not give the test command")
	}
}
