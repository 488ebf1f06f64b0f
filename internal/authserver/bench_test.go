package authserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/store/embedded"
	"github.com/gwmcp/gwmcp/internal/store/storetest"
)

// benchEnv is an env on the wall clock, as in production.
func benchEnv(b *testing.B, opts envOptions) *env {
	inner := opts.config
	opts.config = func(c *Config) {
		c.Now = time.Now
		if inner != nil {
			inner(c)
		}
	}
	return newEnv(b, opts)
}

func BenchmarkVerifyCacheHit(b *testing.B) {
	e := benchEnv(b, envOptions{})
	tk := e.login(e.register(nil))
	ctx := context.Background()
	if _, err := e.srv.VerifyAccessToken(ctx, tk.Access); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.srv.VerifyAccessToken(ctx, tk.Access); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCacheMiss(b *testing.B) {
	e := benchEnv(b, envOptions{config: func(c *Config) { c.TokenCacheSize = -1 }})
	tk := e.login(e.register(nil))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.srv.VerifyAccessToken(ctx, tk.Access); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequireBearerCacheHit is the whole middleware on /mcp, SDK hand-off included.
func BenchmarkRequireBearerCacheHit(b *testing.B) {
	e := benchEnv(b, envOptions{})
	tk := e.login(e.register(nil))
	h := e.srv.RequireBearer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(http.MethodPost, e.base+"/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+tk.Access)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkTokenExchangeEmbedded redeems pre-created authorization codes through the
// token endpoint handler on the embedded (bbolt) store, sealed as in production.
func BenchmarkTokenExchangeEmbedded(b *testing.B) {
	inner, err := embedded.Open(filepath.Join(b.TempDir(), "state.db"), embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	st := store.Sealed(inner, storetest.NewSealer())
	b.Cleanup(func() { _ = st.Close() })
	e := benchEnv(b, envOptions{store: st})
	c := e.register(nil)
	verifier, challenge := pkce()
	ctx := context.Background()
	scopes := e.srv.defaultScopes
	var codes []string
	for i := range b.N {
		code := "bench-code-" + strconv.Itoa(i) + "-" + randomHex(8)
		rec := codeRecord{
			Request: authRequest{ClientID: c.ID, RedirectURI: clientRedirect, RedirectGiven: true, Challenge: challenge, Scopes: scopes},
			Subject: aliceSub, Email: alice, FamilyID: "g" + randomHex(8), IssuedAt: time.Now(),
		}
		if err := e.srv.putJSON(ctx, prefixCode+hashKey(code), &rec, time.Hour); err != nil {
			b.Fatal(err)
		}
		codes = append(codes, code)
	}
	h := http.HandlerFunc(e.srv.handleToken)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {codes[i]}, "code_verifier": {verifier},
			"redirect_uri": {clientRedirect}, "client_id": {c.ID}}
		req := httptest.NewRequest(http.MethodPost, e.base+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "exchanges/s")
}
