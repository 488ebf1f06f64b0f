package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is gwmcp-sandbox, built once for the tests that run it as a real process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gwmcp-sandbox-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "gwmcp-sandbox")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building gwmcp-sandbox:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	testClient   = "replica-test.apps.googleusercontent.com"
	testSecret   = "sandbox-secret-value"
	testRedirect = "https://gwmcp.example/oauth2callback"
)

// process is a running gwmcp-sandbox.
type process struct {
	cmd    *exec.Cmd
	issuer string
	stderr *strings.Builder
	exited chan error
}

// start runs gwmcp-sandbox with args and reads the issuer from its first stdout line.
func start(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, stderr: &strings.Builder{}, exited: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.exited })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, out)
		p.exited <- cmd.Wait()
		close(p.exited)
	}()
	select {
	case line, ok := <-lines:
		issuer, found := strings.CutPrefix(line, "issuer=")
		if !ok || !found {
			t.Fatalf("first stdout line %q, want issuer=URL (stderr: %s)", line, p.stderr)
		}
		p.issuer = issuer
	case <-time.After(15 * time.Second):
		t.Fatal("gwmcp-sandbox printed no issuer within 15 s")
	}
	return p
}

// stop sends sig and expects a clean exit.
func (p *process) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("exit after %v: %v (stderr: %s)", sig, err, p.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10 s after %v", sig)
	}
}

func getJSON(t *testing.T, c *http.Client, u, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize sends an authorization request and returns the response (not followed).
func authorize(t *testing.T, issuer, clientID, redirect, challenge string) *http.Response {
	t.Helper()
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirect}, "response_type": {"code"},
		"scope": {"openid email https://www.googleapis.com/auth/drive.readonly"}, "access_type": {"offline"},
		"state": {"st"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	resp, err := noRedirects.Get(issuer + "/o/oauth2/v2/auth?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// TestServesGoogleForItsClient: the process answers discovery at its own issuer, signs bob in
// at once for the registered client (registered redirect and any loopback one), exchanges the
// code with the client secret, and its Drive API accepts the token; a SIGTERM stops it cleanly
// and removes the address file.
func TestServesGoogleForItsClient(t *testing.T) {
	addrFile := filepath.Join(t.TempDir(), "sandbox.addr")
	p := start(t, nil, "--listen", "127.0.0.1:0", "--client-id", testClient, "--client-secret", testSecret,
		"--redirect-uri", testRedirect, "--redirect-uri", "https://other.example/cb",
		"--auto-approve", "bob@sandbox.example", "--addr-file", addrFile)
	if !strings.HasPrefix(p.issuer, "http://127.0.0.1:") || strings.HasSuffix(p.issuer, ":0") {
		t.Fatalf("issuer %q", p.issuer)
	}
	if b, err := os.ReadFile(addrFile); err != nil || string(b) != "issuer="+p.issuer+"\n" {
		t.Errorf("addr file: %q %v", b, err)
	}

	status, disc := getJSON(t, http.DefaultClient, p.issuer+"/.well-known/openid-configuration", "")
	if status != 200 || disc["issuer"] != p.issuer {
		t.Fatalf("discovery: %d %v", status, disc)
	}
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "revocation_endpoint"} {
		if v, _ := disc[k].(string); !strings.HasPrefix(v, p.issuer+"/") {
			t.Errorf("discovery %s = %q, want under %s", k, v, p.issuer)
		}
	}
	if status, jwks := getJSON(t, http.DefaultClient, disc["jwks_uri"].(string), ""); status != 200 || len(jwks["keys"].([]any)) == 0 {
		t.Errorf("jwks: %d %v", status, jwks)
	}

	// The registered redirect URI, and a loopback one on any port (a Desktop client).
	verifier := strings.Repeat("v", 48)
	for _, redirect := range []string{testRedirect, "http://127.0.0.1:4711/cb"} {
		resp := authorize(t, p.issuer, testClient, redirect, s256(verifier))
		loc, err := resp.Location()
		if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), redirect+"?") || loc.Query().Get("code") == "" {
			t.Fatalf("authorize to %s: %d %v", redirect, resp.StatusCode, loc)
		}
		if redirect != testRedirect {
			continue
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {redirect},
			"client_id": {testClient}, "client_secret": {testSecret}, "code_verifier": {verifier}}
		tr, err := http.PostForm(disc["token_endpoint"].(string), form)
		if err != nil {
			t.Fatal(err)
		}
		var tok struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
			IDToken      string `json:"id_token"`
		}
		_ = json.NewDecoder(tr.Body).Decode(&tok)
		tr.Body.Close()
		if tr.StatusCode != 200 || tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" {
			t.Fatalf("code exchange: %d %+v", tr.StatusCode, tok)
		}
		claims := idTokenClaims(t, tok.IDToken)
		if claims["iss"] != p.issuer || claims["email"] != "bob@sandbox.example" || claims["aud"] != testClient {
			t.Errorf("ID token claims: %v", claims)
		}
		// The seeded workspace answers with that token, and not without one.
		if status, files := getJSON(t, http.DefaultClient, p.issuer+"/drive/v3/files", tok.AccessToken); status != 200 || files["files"] == nil {
			t.Errorf("drive files.list: %d %v", status, files)
		}
		if status, _ := getJSON(t, http.DefaultClient, p.issuer+"/drive/v3/files", ""); status != http.StatusUnauthorized {
			t.Errorf("drive files.list without a token: %d", status)
		}
		// The wrong client secret is refused.
		form.Set("client_secret", "wrong")
		tr, err = http.PostForm(disc["token_endpoint"].(string), form)
		if err != nil {
			t.Fatal(err)
		}
		tr.Body.Close()
		if tr.StatusCode != http.StatusUnauthorized {
			t.Errorf("token with a wrong secret: %d", tr.StatusCode)
		}
	}

	// What it must refuse: an unregistered non-loopback redirect, an unknown client. Neither
	// is answered with a redirect.
	for _, tc := range []struct{ name, client, redirect string }{
		{"unregistered redirect", testClient, "https://evil.example/cb"},
		{"unknown client", "someone-else", testRedirect},
	} {
		if resp := authorize(t, p.issuer, tc.client, tc.redirect, s256(verifier)); resp.StatusCode < 400 || resp.StatusCode >= 500 || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d %q", tc.name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	p.stop(t, syscall.SIGTERM)
	if _, err := os.Stat(addrFile); !os.IsNotExist(err) {
		t.Errorf("addr file left behind: %v", err)
	}
}

func idTokenClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("ID token has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSecretFromEnvironmentAndSIGINT: the secret may come from the environment (a public
// client without either), and SIGINT stops the process cleanly too.
func TestSecretFromEnvironmentAndSIGINT(t *testing.T) {
	p := start(t, []string{secretEnv + "=" + testSecret}, "--client-id", testClient, "--auto-approve", "alice@sandbox.example")
	verifier := strings.Repeat("w", 48)
	resp := authorize(t, p.issuer, testClient, "http://localhost:9/cb", s256(verifier))
	loc, _ := resp.Location()
	if loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %v", resp.StatusCode, loc)
	}
	tr, err := http.PostForm(p.issuer+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {"http://localhost:9/cb"}, "client_id": {testClient}, "client_secret": {testSecret}, "code_verifier": {verifier}})
	if err != nil {
		t.Fatal(err)
	}
	tr.Body.Close()
	if tr.StatusCode != 200 {
		t.Errorf("code exchange with the secret from %s: %d", secretEnv, tr.StatusCode)
	}
	p.stop(t, os.Interrupt)
}

// TestErrorsAreOneLine: every start-up error is one line on stderr and exit status 1.
func TestErrorsAreOneLine(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no client id", []string{"--listen", "127.0.0.1:0"}, "--client-id is required"},
		{"unknown flag", []string{"--client-id", "x", "--port", "1"}, "flag provided but not defined"},
		{"positional argument", []string{"--client-id", "x", "serve"}, `unexpected argument "serve"`},
		{"unknown auto-approve account", []string{"--client-id", "x", "--auto-approve", "mallory@evil.example"}, "mallory@evil.example"},
		{"bad redirect URI", []string{"--client-id", "x", "--redirect-uri", "not a url"}, "invalid redirect URI"},
		{"port in use", []string{"--client-id", "x", "--listen", busy.Addr().String()}, "--listen " + busy.Addr().String()},
		{"bad listen address", []string{"--client-id", "x", "--listen", "127.0.0.1:99999"}, "--listen"},
		{"addr file in a missing directory", []string{"--client-id", "x", "--addr-file", filepath.Join(t.TempDir(), "no", "such", "f")}, "--addr-file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binary, tc.args...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), secretEnv + "=do-not-print-me"}
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("did not exit")
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v (stderr %q)", err, stderr.String())
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "gwmcp-sandbox: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("stderr %q, want one line with %q", msg, tc.want)
			}
			if strings.Contains(msg+stdout.String(), "do-not-print-me") {
				t.Error("the client secret was printed")
			}
		})
	}
}

// TestHelp: -h prints the usage on stdout and exits 0.
func TestHelp(t *testing.T) {
	out, err := exec.Command(binary, "-h").Output()
	if err != nil || !strings.Contains(string(out), "--client-id") || !strings.Contains(string(out), "-redirect-uri") {
		t.Fatalf("-h: %v %s", err, out)
	}
}

// TestIssuerOf: an unspecified listen address is reached on the loopback.
func TestIssuerOf(t *testing.T) {
	for _, tc := range []struct {
		addr *net.TCPAddr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, "http://127.0.0.1:80"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8003}, "http://127.0.0.1:8003"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8003}, "http://127.0.0.1:8003"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8003}, "http://[::1]:8003"},
	} {
		if got := issuerOf(tc.addr); got != tc.want {
			t.Errorf("issuerOf(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
