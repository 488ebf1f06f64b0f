package authserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/store/embedded"
	"github.com/gwmcp/gwmcp/internal/store/memory"
	"github.com/gwmcp/gwmcp/internal/store/redis"
	"github.com/gwmcp/gwmcp/internal/store/storetest"
)

// mainFlow registers a client, logs in, calls /mcp, refreshes and revokes.
func mainFlow(t *testing.T, e *env) (registered, tokens) {
	t.Helper()
	c := e.register(nil)
	tk := e.login(c)
	if e.mcpStatus(tk.Access) != 200 {
		t.Fatal("access token refused")
	}
	resp, body := e.refresh(c, tk.Refresh, nil)
	next := parseTokens(t, resp, body)
	if e.mcpStatus(next.Access) != 200 {
		t.Fatal("refreshed access token refused")
	}
	return c, next
}

func TestMainFlowMemoryStore(t *testing.T) {
	st := store.Sealed(memory.New(memory.Options{}), storetest.NewSealer())
	t.Cleanup(func() { _ = st.Close() })
	e := newEnv(t, envOptions{store: st, mount: echoPrincipal})
	mainFlow(t, e)
}

func TestMainFlowEmbeddedStoreSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	sealer := storetest.NewSealer()
	open := func() store.Store {
		inner, err := embedded.Open(path, embedded.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return store.Sealed(inner, sealer)
	}
	st := open()
	e := newEnv(t, envOptions{store: st, mount: echoPrincipal})
	c, tk := mainFlow(t, e)
	kid := e.srv.keys.Load().currentID
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// A new process on the same file: same keys, same clients, same grants.
	st = open()
	t.Cleanup(func() { _ = st.Close() })
	cfg := e.srv.cfg
	cfg.Store = st
	srv, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if srv.keys.Load().currentID != kid {
		t.Fatal("the signing key changed across a restart")
	}
	if _, err := srv.VerifyAccessToken(t.Context(), tk.Access); err != nil {
		t.Fatalf("token refused after restart: %v", err)
	}
	e.srv = srv
	mux := http.NewServeMux()
	srv.Routes(mux)
	echoPrincipal(e, mux)
	e.mux = mux
	e.setHandler(mux)
	resp, body := e.refresh(c, tk.Refresh, nil)
	parseTokens(t, resp, body)
}

func TestTwoReplicasOnRedis(t *testing.T) {
	ctx := context.Background()
	prefix := "gwmcp-authserver-test-" + randomHex(8) + ":"
	sealer := storetest.NewSealer()
	open := func() store.Store {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		inner, err := redis.Open(ctx, "redis://127.0.0.1:6379/0", redis.Options{Prefix: prefix})
		if err == nil {
			_, err = inner.List(ctx, "x")
		}
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("Redis is required in CI: %v", err)
			}
			t.Skipf("Redis not reachable at 127.0.0.1:6379: %v", err)
		}
		return store.Sealed(inner, sealer)
	}
	st1, st2 := open(), open()
	t.Cleanup(func() {
		keys, _ := st1.List(context.Background(), "")
		for _, k := range keys {
			_ = st1.Delete(context.Background(), k)
		}
		_ = st1.Close()
		_ = st2.Close()
	})
	a := newEnv(t, envOptions{store: st1, mount: echoPrincipal})
	b := newEnv(t, envOptions{store: st2, mount: echoPrincipal, shareWith: a})
	if a.srv.keys.Load().currentID != b.srv.keys.Load().currentID {
		t.Fatal("the replicas use different signing keys")
	}
	c := a.register(nil) // register on one...
	tk := b.login(c)     // ...authorize on the other
	for name, env := range map[string]*env{"a": a, "b": b} {
		if env.mcpStatus(tk.Access) != 200 {
			t.Fatalf("replica %s refuses the token", name)
		}
	}
	resp, body := a.refresh(c, tk.Refresh, nil)
	next := parseTokens(t, resp, body)
	// Reuse of the rotated token on the other replica revokes the family everywhere.
	a.clk.Advance(11 * time.Second)
	resp, body = b.refresh(c, tk.Refresh, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
	for name, env := range map[string]*env{"a": a, "b": b} {
		if env.mcpStatus(next.Access) != http.StatusUnauthorized {
			t.Fatalf("replica %s accepts a token of a revoked family", name)
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
