package replicas

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// The binaries under test, built once by TestMain.
var gwmcpBin, sandboxBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gwmcp-replicas-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gwmcpBin, sandboxBin = filepath.Join(dir, "gwmcp"), filepath.Join(dir, "gwmcp-sandbox")
	for bin, pkg := range map[string]string{gwmcpBin: "github.com/gwmcp/gwmcp/cmd/gwmcp", sandboxBin: "github.com/gwmcp/gwmcp/cmd/gwmcp-sandbox"} {
		build := exec.Command("go", "build", "-o", bin, pkg)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n", pkg, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Redis: one database of the local server is this test's. gwmcp has no setting for a key
// prefix (OpenKV opens redis with the default "gwmcp:"), so the test deletes the "gwmcp:*"
// keys of that database before and after, and a lock key keeps two runs from sharing it.
const (
	redisAddr = "127.0.0.1:6379"
	redisDB   = 7
	lockKey   = "gwmcp-e2e-replicas:lock"
)

// redisForTest returns the STORE_URL of the test's database, cleared of gwmcp's keys and
// locked for this run. Without Redis it skips, or fails when CI is set.
func redisForTest(t *testing.T) string {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: redisAddr, DB: redisDB})
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Redis at %s is required in CI and unreachable: %v", redisAddr, err)
		}
		t.Skipf("Redis at %s unreachable, skipping (set CI=1 to make this a failure): %v", redisAddr, err)
	}
	token := rand.Text()
	deadline := time.Now().Add(90 * time.Second)
	for {
		ok, err := c.SetNX(context.Background(), lockKey, token, 2*time.Minute).Result()
		if err != nil {
			t.Fatalf("locking Redis db %d: %v", redisDB, err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis db %d stayed locked by another run of this test (key %s)", redisDB, lockKey)
		}
		time.Sleep(200 * time.Millisecond)
	}
	clear := func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, "gwmcp:*", 500).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("clearing Redis db %d: %v", redisDB, err)
		}
	}
	clear()
	t.Cleanup(func() {
		clear()
		// Release the lock only if it is still ours.
		c.Eval(context.Background(), `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`, []string{lockKey}, token)
	})
	return fmt.Sprintf("redis://%s/%d", redisAddr, redisDB)
}

// logBuffer collects a process's stderr for the failure report.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is a process the test started.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stderr *logBuffer
	done   chan struct{}
	err    error
}

// startProc starts bin with args and env (nothing of the machine's environment but PATH),
// kills it when the test ends and shows its stderr if the test failed.
func startProc(t *testing.T, name, bin string, env []string, args ...string) (*proc, io.Reader) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Dir = t.TempDir() // no stray .env
	p := &proc{name: name, cmd: cmd, stderr: &logBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("stderr of %s (%v):\n%s", name, p.err, tail(p.stderr.String(), 6000))
		}
	})
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.Copy(pw, stdout)
		p.err = cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	return p, pr
}

// kill ends the process with SIGKILL and waits for it.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("killing %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still running 10 s after SIGKILL", p.name)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// startSandbox runs gwmcp-sandbox and returns its issuer.
func startSandbox(t *testing.T, clientID, clientSecret, redirectURI, autoApprove string) string {
	t.Helper()
	p, stdout := startProc(t, "gwmcp-sandbox", sandboxBin, nil, "--listen", "127.0.0.1:0",
		"--client-id", clientID, "--client-secret", clientSecret, "--redirect-uri", redirectURI, "--auto-approve", autoApprove, "--verbose")
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-lines:
		if issuer, ok := strings.CutPrefix(line, "issuer="); ok {
			return issuer
		}
		t.Fatalf("gwmcp-sandbox first line %q (stderr: %s)", line, p.stderr)
	case <-time.After(15 * time.Second):
		t.Fatal("gwmcp-sandbox printed no issuer within 15 s")
	}
	return ""
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

func waitReady(t *testing.T, p *proc, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready: %v\n%s", p.name, p.err, tail(p.stderr.String(), 4000))
		default:
		}
		resp, err := http.Get(url + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s: %s/ready never answered 200", p.name, url)
}

// newKey returns a base64 AES-256 key for AUTH_ENCRYPTION_KEY.
func newKey() string {
	var k [32]byte
	_, _ = rand.Read(k[:])
	return base64.StdEncoding.EncodeToString(k[:])
}
