package workspace

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/secret"
)

const (
	alice    = "alice@sandbox.example"
	bob      = "bob@sandbox.example"
	clientID = "gwmcp-test.apps.googleusercontent.com"
	driveRO  = "https://www.googleapis.com/auth/drive.readonly"
)

// clock is a fake clock shared by the sandbox, the store and the factory.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var signingKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// sandboxRefresher refreshes at the sandbox's token endpoint, mapping its answers to
// this package's sentinels the way the app's upstream adapter does.
type sandboxRefresher struct {
	tokenURL string
	clk      *clock
	calls    atomic.Int64
}

func (r *sandboxRefresher) Refresh(ctx context.Context, rt secret.String) (Token, error) {
	r.calls.Add(1)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt.Reveal()},
		"client_id": {clientID}, "client_secret": {"test-secret"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Token{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken  string `json:"access_token"`
		ExpiresIn    int64  `json:"expires_in"`
		Scope        string `json:"scope"`
		TokenType    string `json:"token_type"`
		RefreshToken string `json:"refresh_token"`
		Error        string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	switch {
	case body.Error == "invalid_grant":
		return Token{}, fmt.Errorf("refresh: %w", ErrReauthRequired)
	case resp.StatusCode >= 500:
		return Token{}, fmt.Errorf("refresh: %w (%d)", ErrUnavailable, resp.StatusCode)
	case resp.StatusCode != 200:
		return Token{}, fmt.Errorf("refresh: token endpoint answered %d %s", resp.StatusCode, body.Error)
	}
	return Token{AccessToken: secret.New(body.AccessToken), TokenType: body.TokenType,
		Expiry: r.clk.Now().Add(time.Duration(body.ExpiresIn) * time.Second),
		Scopes: strings.Fields(body.Scope), RefreshToken: secret.New(body.RefreshToken)}, nil
}

// env is a sandbox OpenID provider, a credential store holding tokens it issued, and a
// small Drive-like API that authenticates them.
type env struct {
	t      *testing.T
	clk    *clock
	sb     *sandbox.Sandbox
	idp    *httptest.Server
	api    *httptest.Server
	store  *credentials.Store
	ref    *sandboxRefresher
	hits   atomic.Int64
	tokens map[string]sandbox.TokenSet
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, clk: newClock(), tokens: map[string]sandbox.TokenSet{}}
	sb, err := sandbox.New(sandbox.Options{Now: e.clk.Now, SigningKey: signingKey()})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.AddClient(sandbox.Client{ID: clientID, Secret: secret.New("test-secret"),
		RedirectURIs: []string{"http://127.0.0.1/cb"}}); err != nil {
		t.Fatal(err)
	}
	e.sb = sb
	e.idp = httptest.NewServer(sb.Handler())
	t.Cleanup(e.idp.Close)
	sb.SetIssuer(e.idp.URL)
	e.ref = &sandboxRefresher{tokenURL: e.idp.URL + "/token", clk: e.clk}
	e.api = httptest.NewServer(http.HandlerFunc(e.serveAPI))
	t.Cleanup(e.api.Close)
	st, err := credentials.Open(credentials.Options{Mode: credentials.MemoryOnly, Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.store = st
	return e
}

// serveAPI answers any request whose bearer token the sandbox accepts with a Drive file.
func (e *env) serveAPI(w http.ResponseWriter, r *http.Request) {
	e.hits.Add(1)
	g, err := e.sb.Authenticate(r)
	if err != nil {
		var ae *sandbox.AuthError
		if errors.As(err, &ae) {
			ae.Respond(w)
			return
		}
		http.Error(w, "bad", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"f1","name":"report for %s"}`, g.Email)
}

// login issues tokens for email and stores them; expired makes the stored access token
// already expired (and the sandbox agrees).
func (e *env) login(email string, expired bool) credentials.Credential {
	e.t.Helper()
	ts, err := e.sb.IssueTokens(email, clientID, []string{driveRO})
	if err != nil {
		e.t.Fatal(err)
	}
	e.tokens[email] = ts
	c := credentials.Credential{Email: email, RefreshToken: ts.RefreshToken, AccessToken: ts.AccessToken,
		TokenType: "Bearer", Expiry: ts.Expiry, Scopes: ts.Scopes, ClientID: clientID}
	if expired {
		if err := e.sb.ExpireAccessTokens(email); err != nil {
			e.t.Fatal(err)
		}
		c.Expiry = e.clk.Now().Add(-time.Minute)
	}
	if err := e.store.Put(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) factory(mod func(*Options)) *Factory {
	e.t.Helper()
	o := Options{Credentials: e.store, Refresher: e.ref, BaseURL: e.api.URL, Now: e.clk.Now,
		Sleep: func(context.Context, time.Duration) error { return nil }}
	if mod != nil {
		mod(&o)
	}
	f, err := New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

func (e *env) stored(email string) credentials.Credential {
	e.t.Helper()
	c, err := e.store.Get(context.Background(), email)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// flakyStore wraps a store and fails the next n Updates.
type flakyStore struct {
	*credentials.Store
	failUpdates atomic.Int64
	updates     atomic.Int64
}

var errDiskFull = errors.New("disk full")

func (s *flakyStore) Update(ctx context.Context, email string, fn func(*credentials.Credential) error) (credentials.Credential, error) {
	s.updates.Add(1)
	if s.failUpdates.Add(-1) >= 0 {
		return credentials.Credential{}, errDiskFull
	}
	s.failUpdates.Store(0)
	return s.Store.Update(ctx, email, fn)
}

// memStore holds credentials in memory for tests that need no sandbox.
func memStore(t testing.TB, creds ...credentials.Credential) *credentials.Store {
	t.Helper()
	st, err := credentials.Open(credentials.Options{Mode: credentials.MemoryOnly})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range creds {
		if err := st.Put(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// validCred is a credential whose access token is good for an hour of the wall clock.
func validCred(email, access string) credentials.Credential {
	return credentials.Credential{Email: email, RefreshToken: secret.New("1//rt-" + email),
		AccessToken: secret.New(access), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour),
		Scopes: []string{driveRO}}
}

// noRefresh fails the test if a refresh is attempted.
type noRefresh struct{ t *testing.T }

func (n noRefresh) Refresh(context.Context, secret.String) (Token, error) {
	n.t.Error("unexpected refresh")
	return Token{}, errors.New("unexpected refresh")
}

// fixedRand is a jitter source that always yields the fraction b/256: each 8-byte read
// is b followed by zeros.
type fixedRand byte

func (r fixedRand) Read(p []byte) (int, error) {
	clear(p)
	for i := 0; i < len(p); i += 8 {
		p[i] = byte(r)
	}
	return len(p), nil
}

// recorder is a test server that records every request and answers with h.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	Method, Path, Query, Auth, UserAgent string
	Body                                 string
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	t.Helper()
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, recorded{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery,
			Auth: req.Header.Get("Authorization"), UserAgent: req.Header.Get("User-Agent"), Body: string(body)})
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		h(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

func (r *recorder) last() recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		return recorded{}
	}
	return r.reqs[len(r.reqs)-1]
}

func memStoreB(b *testing.B) *credentials.Store { return memStore(b, validCred(alice, "ya29.bench")) }

type noRefreshB struct{}

func (noRefreshB) Refresh(context.Context, secret.String) (Token, error) {
	return Token{}, errors.New("unexpected refresh")
}
