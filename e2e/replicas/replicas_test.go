// Package replicas tests gwmcp run as several processes (issue 8): two `gwmcp serve
// --transport http --stateless` replicas share one Redis store, one credentials directory and
// one encryption key behind a small round-robin reverse proxy whose URL is their BASE_URL, with
// a gwmcp-sandbox process as their Google. An MCP client registers on one replica, authorizes
// through the other, calls tools across both, and keeps working, without a new login, after
// one replica is killed; its token is then refreshed by the survivor.
//
// The package holds tests only. It needs Redis at 127.0.0.1:6379 (database 7): without it the
// test skips, or fails when CI is set.
package replicas

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"
)

const (
	googleClientID     = "gwmcp-replicas.apps.googleusercontent.com"
	googleClientSecret = "replicas-sandbox-secret"
	person             = "bob@sandbox.example"
	clientRedirect     = "http://127.0.0.1:1/callback" // the MCP client's; the browser stops there
)

// cluster is the system under test.
type cluster struct {
	proxy    *rrProxy
	base     string // the proxy's URL, every replica's BASE_URL
	replicas map[string]*proc
	direct   map[string]string // replica name -> its own URL, bypassing the proxy
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	storeURL := redisForTest(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	issuer := startSandbox(t, googleClientID, googleClientSecret, base+"/oauth2callback", person)

	credDir, key := t.TempDir(), newKey()
	c := &cluster{base: base, replicas: map[string]*proc{}, direct: map[string]string{}}
	names := []string{"A", "B"}
	var backends []*url.URL
	for _, name := range names {
		port := freePort(t)
		env := []string{"CREDENTIALS_DIR=" + credDir, "AUTH_ENCRYPTION_KEY=" + key, "STORE_URL=" + storeURL,
			"BASE_URL=" + base, "GOOGLE_OAUTH_ISSUER=" + issuer, "GOOGLE_API_BASE_URL=" + issuer,
			"GOOGLE_CLIENT_ID=" + googleClientID, "GOOGLE_CLIENT_SECRET=" + googleClientSecret,
			"MCP_TOOL_TIER=complete", "ENHANCED_LOGGING=true"}
		// Both start together, as replicas of one deployment do (they race to create the
		// signing key in the store).
		p, stdout := startProc(t, "replica "+name, gwmcpBin, env, "serve", "--transport", "http", "--stateless", "--port", port)
		go func() { _, _ = io.Copy(io.Discard, stdout) }()
		c.replicas[name] = p
		c.direct[name] = "http://127.0.0.1:" + port
		backends = append(backends, &url.URL{Scheme: "http", Host: "127.0.0.1:" + port})
	}
	for i, name := range names {
		waitReady(t, c.replicas[name], backends[i].String())
	}
	c.proxy = newRRProxy(names, backends)
	srv := &http.Server{Handler: c.proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return c
}

var (
	reRequest = regexp.MustCompile(`name="request" value="([^"]+)"`)
	reCSRF    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	reService = regexp.MustCompile(`name="service" value="([^"]+)" checked`)
)

// browse plays the person in a browser: it follows redirects (gwmcp through the proxy, the
// sandbox Google), approves gwmcp's consent page, and stops at the MCP client's redirect URI.
func browse(ctx context.Context, start, base string) (*url.URL, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	next := start
	var form url.Values
	for range 12 {
		var req *http.Request
		if form != nil {
			req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/oauth/authorize", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", base)
			form = nil
		} else {
			req, _ = http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(loc.String(), clientRedirect) {
				return loc, nil
			}
			next = loc.String()
		case resp.StatusCode == http.StatusOK && reCSRF.Match(body) && reRequest.Match(body):
			form = url.Values{"request": {string(reRequest.FindSubmatch(body)[1])}, "csrf": {string(reCSRF.FindSubmatch(body)[1])}, "action": {"approve"}}
			for _, m := range reService.FindAllSubmatch(body, -1) {
				form.Add("service", string(m[1]))
			}
		default:
			return nil, &browseError{url: req.URL.String(), status: resp.StatusCode, body: tail(string(body), 500)}
		}
	}
	return nil, &browseError{url: next, body: "too many steps"}
}

type browseError struct {
	url    string
	status int
	body   string
}

func (e *browseError) Error() string {
	return "browser stopped at " + e.url + ": " + http.StatusText(e.status) + " " + e.body
}

// expirable is the SDK client's token source, made expirable on demand: expire() marks the
// current access token expired, so the SDK's next request refreshes it (golang.org/x/oauth2,
// the SDK's own refresh path) exactly as it would an hour later.
type expirable struct {
	mu  sync.Mutex
	ctx context.Context
	cfg *oauth2.Config
	ts  oauth2.TokenSource
}

func (e *expirable) newTokenSource(ctx context.Context, cfg *oauth2.Config, tok *oauth2.Token) (oauth2.TokenSource, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ctx, e.cfg, e.ts = ctx, cfg, cfg.TokenSource(ctx, tok)
	return e, nil
}

func (e *expirable) Token() (*oauth2.Token, error) {
	e.mu.Lock()
	ts := e.ts
	e.mu.Unlock()
	return ts.Token()
}

func (e *expirable) expire() error {
	tok, err := e.Token()
	if err != nil {
		return err
	}
	old := *tok
	old.Expiry = time.Now().Add(-time.Minute)
	e.mu.Lock()
	e.ts = e.cfg.TokenSource(e.ctx, &old)
	e.mu.Unlock()
	return nil
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

// TestTwoReplicasBehindRoundRobin is issue 8's end-to-end test; see the package comment.
func TestTwoReplicasBehindRoundRobin(t *testing.T) {
	started := time.Now()
	c := startCluster(t)
	t.Logf("cluster up in %s: proxy %s", time.Since(started).Round(time.Millisecond), c.base)
	// Each replica, asked directly, presents itself as the proxy's origin.
	for name, u := range c.direct {
		var meta struct {
			Issuer                string `json:"issuer"`
			RegistrationEndpoint  string `json:"registration_endpoint"`
			AuthorizationEndpoint string `json:"authorization_endpoint"`
		}
		if status := getJSON(t, u+"/.well-known/oauth-authorization-server", &meta); status != 200 || meta.Issuer != c.base ||
			meta.RegistrationEndpoint != c.base+"/oauth/register" || meta.AuthorizationEndpoint != c.base+"/oauth/authorize" {
			t.Errorf("replica %s metadata: %d %+v, want everything under %s", name, status, meta, c.base)
		}
		status, www := rawMCP(t, u, "")
		if status != http.StatusUnauthorized || !strings.Contains(www, `resource_metadata="`+c.base+"/.well-known/oauth-protected-resource") {
			t.Errorf("replica %s without a token: %d %q", name, status, www)
		}
	}
	defer func() {
		hops, _ := c.proxy.since(0)
		var b strings.Builder
		for _, h := range hops {
			b.WriteString("  " + h.String() + "\n")
		}
		t.Logf("every request through the proxy:\n%s", b.String())
	}()

	// Log in: the client registers on A, the person's browser asks B to authorize it, and A
	// issues the tokens (so that killing A later kills the replica that signed them); in
	// between, and after, the round robin turns on its own.
	c.proxy.steerFirst("POST /oauth/register", "A")
	c.proxy.steerFirst("GET /oauth/authorize", "B")
	c.proxy.steerFirst("POST /oauth/token", "A")
	ts := &expirable{}
	var code string // the authorization code the client redeemed
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			RedirectURIs: []string{clientRedirect}, ClientName: "replicas e2e",
			GrantTypes: []string{"authorization_code", "refresh_token"}, TokenEndpointAuthMethod: "none"}},
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			loc, err := browse(ctx, args.URL, c.base)
			if err != nil {
				return nil, err
			}
			q := loc.Query()
			code = q.Get("code")
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
		RequestRefreshToken: true,
		NewTokenSource:      ts.newTokenSource,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "replicas-e2e", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: c.base + "/mcp", OAuthHandler: h, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatalf("connect through the proxy with OAuth: %v", err)
	}
	defer cs.Close()

	// Who served the login's steps.
	hops, _ := c.proxy.since(0)
	served := map[string]string{}
	for _, h := range hops {
		key := h.Method + " " + h.Path
		if h.Grant != "" {
			key += " " + h.Grant
		}
		if _, seen := served[key]; !seen && h.Status < 400 {
			served[key] = h.Replica
		}
	}
	steps := []string{"POST /oauth/register", "GET /oauth/authorize", "POST /oauth/authorize", "GET /oauth2callback", "POST /oauth/token authorization_code"}
	for _, s := range steps {
		if served[s] == "" {
			t.Errorf("login step %q never succeeded through the proxy", s)
		}
	}
	if served[steps[0]] != "A" || served[steps[1]] != "B" || served[steps[4]] != "A" {
		t.Errorf("registered on %q, authorization request on %q, tokens from %q: want A, B, A", served[steps[0]], served[steps[1]], served[steps[4]])
	}
	crossed := 0
	for i := 1; i < len(steps); i++ {
		if served[steps[i]] != served[steps[i-1]] {
			crossed++
		}
	}
	t.Logf("login: registered on %s, authorization request on %s, consent on %s, Google callback on %s, code exchanged on %s (%d replica changes)",
		served[steps[0]], served[steps[1]], served[steps[2]], served[steps[3]], served[steps[4]], crossed)

	// Tools across both replicas.
	call := func(name string, args map[string]any, want string) hop {
		t.Helper()
		_, mark := c.proxy.since(0)
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.IsError || !strings.Contains(textOf(res), want) {
			t.Fatalf("%s: error=%v %s", name, res.IsError, tail(textOf(res), 800))
		}
		after, _ := c.proxy.since(mark)
		for _, h := range after {
			if h.Tool == name {
				return h
			}
		}
		t.Fatalf("%s: no tools/call hop recorded (%v)", name, after)
		return hop{}
	}
	lt, err := cs.ListTools(ctx, nil)
	if err != nil || len(lt.Tools) < 20 {
		t.Fatalf("tools/list: %v (%d tools)", err, len(lt.Tools))
	}
	type toolCall struct {
		name string
		args map[string]any
		want string
	}
	work := []toolCall{
		{"check_auth_status", map[string]any{}, person},
		{"list_calendars", map[string]any{}, "Europe/London"}, // bob's calendar
		{"search_drive_files", map[string]any{"query": "name contains 'Expenses'"}, "Expenses Q1"},
		{"check_auth_status", map[string]any{}, person},
		{"list_calendars", map[string]any{}, "Europe/London"},
		{"search_drive_files", map[string]any{"query": "name contains 'Expenses'"}, "Expenses Q1"},
	}
	toolsOn := map[string]int{}
	for _, w := range work {
		h := call(w.name, w.args, w.want)
		toolsOn[h.Replica]++
	}
	if toolsOn["A"] == 0 || toolsOn["B"] == 0 {
		t.Errorf("tool calls served per replica: %v, want both", toolsOn)
	}
	before, _ := c.proxy.last(func(h hop) bool { return h.Tool != "" })
	if tok, err := ts.Token(); err != nil || tok.RefreshToken == "" {
		t.Fatalf("the client holds no refresh token: %v", err)
	}

	// Kill replica A mid-session. The same client, token and state keep working on B.
	c.replicas["A"].kill(t)
	_, killedAt := c.proxy.since(0)
	for _, w := range work {
		if h := call(w.name, w.args, w.want); h.Replica != "B" {
			t.Errorf("%s after A died answered by %q", w.name, h.Replica)
		}
	}
	afterKill, _ := c.proxy.since(killedAt)
	skipped := 0
	for _, h := range afterKill {
		if len(h.Skipped) > 0 {
			skipped++
		}
	}
	if skipped == 0 {
		t.Error("the proxy never had to skip the dead replica: A was not really out of the rotation")
	}
	for _, h := range afterKill {
		if h.Bearer != before.Bearer {
			t.Errorf("%s after A died carried another token than before", h)
		}
	}
	if countPath(afterKill, "/oauth/authorize")+countPath(afterKill, "/oauth/register")+countPath(afterKill, "/oauth/token") > 0 {
		t.Error("the client needed a new login or token after A died")
	}

	// The access token expires: the SDK refreshes it through the proxy, on B, and goes on.
	if err := ts.expire(); err != nil {
		t.Fatal(err)
	}
	_, mark := c.proxy.since(0)
	h2 := call("list_calendars", map[string]any{}, "Europe/London")
	afterRefresh, _ := c.proxy.since(mark)
	refreshed := false
	for _, h := range afterRefresh {
		if h.Path == "/oauth/token" && h.Grant == "refresh_token" {
			refreshed = h.Status == http.StatusOK && h.Replica == "B"
			if !refreshed {
				t.Errorf("refresh: %s", h)
			}
		}
	}
	if !refreshed {
		t.Error("the SDK did not refresh its token through the proxy")
	}
	if h2.Replica != "B" || h2.Bearer == "" || h2.Bearer == before.Bearer {
		t.Errorf("call after refresh: replica %s, token %s (before %s): want B with a new token", h2.Replica, h2.Bearer, before.Bearer)
	}
	call("check_auth_status", map[string]any{}, person)

	// Last, what replicas must refuse together: the code A redeemed, replayed on B, is
	// refused, and the reuse revokes the grant: B then refuses the client's current access
	// and refresh tokens.
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if status, body := postForm(t, c.base+"/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {clientRedirect}, "client_id": {clientIDOf(c)}, "code_verifier": {strings.Repeat("x", 43)}}); status != http.StatusBadRequest || !strings.Contains(body, "invalid_grant") {
		t.Errorf("the redeemed code replayed on B: %d %s", status, body)
	}
	if status, _ := rawMCP(t, c.base, tok.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("the access token of a grant revoked for code reuse: %d on B", status)
	}
	if status, body := postForm(t, c.base+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken},
		"client_id": {clientIDOf(c)}}); status != http.StatusBadRequest || !strings.Contains(body, "invalid_grant") {
		t.Errorf("the refresh token of a grant revoked for code reuse: %d %s", status, body)
	}
	t.Logf("whole test: %s", time.Since(started).Round(time.Millisecond))
}

// clientIDOf is the client_id the SDK registered, read from the proxy's record of the
// authorization request.
func clientIDOf(c *cluster) string {
	h, _ := c.proxy.last(func(h hop) bool { return h.Method == http.MethodGet && h.Path == "/oauth/authorize" })
	return h.ClientID
}

func getJSON(t *testing.T, u string, v any) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(v)
	return resp.StatusCode
}

func postForm(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// rawMCP posts tools/list to base/mcp with token (none when empty) and returns the status
// and the WWW-Authenticate header.
func rawMCP(t *testing.T, base, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

func countPath(hs []hop, path string) int {
	n := 0
	for _, h := range hs {
		if h.Path == path {
			n++
		}
	}
	return n
}
