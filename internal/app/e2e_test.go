package app

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/gwmcp/gwmcp/internal/config"
)

// sandboxHTTP starts gwmcp serve --sandbox --transport http on a loopback port.
func sandboxHTTP(t testing.TB, mutate func(*config.Config)) (*App, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.Transport, cfg.Sandbox, cfg.CredentialsDir = config.TransportHTTP, true, t.TempDir()
	cfg.BaseURL = "http://" + ln.Addr().String()
	cfg.ToolTier = "complete"
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := New(context.Background(), Options{Config: cfg, Logger: NewLogger(io.Discard, LogOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	return a, cfg.BaseURL
}

var (
	reRequest = regexp.MustCompile(`name="request" value="([^"]+)"`)
	reCSRF    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// browse plays the person: follow redirects within gwmcp and the sandbox, approve gwmcp's
// consent page, and stop at the first URL elsewhere (the MCP client's redirect URI).
func browse(t testing.TB, start, base string) *url.URL {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	next := start
	var form url.Values
	for range 12 {
		var resp *http.Response
		var err error
		if form != nil {
			req, _ := http.NewRequest(http.MethodPost, base+"/oauth/authorize", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", base)
			resp, err = c.Do(req)
			form = nil
		} else {
			resp, err = c.Get(next)
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, _ := resp.Location()
			if strings.HasPrefix(loc.String(), "http://127.0.0.1:1/") {
				return loc
			}
			next = loc.String()
		case resp.StatusCode == 200 && reCSRF.Match(body):
			form = url.Values{"request": {string(reRequest.FindSubmatch(body)[1])}, "csrf": {string(reCSRF.FindSubmatch(body)[1])}, "action": {"approve"}}
			for _, m := range regexp.MustCompile(`name="service" value="([^"]+)" checked`).FindAllSubmatch(body, -1) {
				form.Add("service", string(m[1]))
			}
		default:
			t.Fatalf("browser stopped at %s: %d %s", next, resp.StatusCode, body)
		}
	}
	t.Fatal("too many steps")
	return nil
}

// oauthClient connects the Go SDK's own OAuth client (DCR, PKCE) to gwmcp.
func oauthClient(t *testing.T, base string) *mcp.ClientSession {
	t.Helper()
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			RedirectURIs: []string{"http://127.0.0.1:1/callback"}, ClientName: "e2e <client>",
			GrantTypes: []string{"authorization_code", "refresh_token"}, TokenEndpointAuthMethod: "none"}},
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			q := browse(t, args.URL, base).Query()
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
		RequestRefreshToken: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: base + "/mcp", OAuthHandler: h, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatalf("connect with OAuth: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func callOK(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	if res.IsError {
		t.Fatalf("%s failed: %s", name, b.String())
	}
	return b.String()
}

// TestSandboxOAuthEndToEnd: an MCP client logs in through gwmcp's authorization server with
// the sandbox Google as upstream, and its tools act as the account that logged in.
func TestSandboxOAuthEndToEnd(t *testing.T) {
	a, base := sandboxHTTP(t, nil)
	if err := a.Sandbox().SetAutoApprove("bob@sandbox.example"); err != nil {
		t.Fatal(err)
	}
	cs := oauthClient(t, base)
	status := callOK(t, cs, "check_auth_status", map[string]any{})
	if !strings.Contains(status, "bob@sandbox.example") || strings.Contains(status, "alice@sandbox.example") {
		t.Errorf("status: %s", status)
	}
	cals := callOK(t, cs, "list_calendars", map[string]any{})
	if !strings.Contains(cals, "Europe/London") {
		t.Errorf("bob's calendars: %s", cals)
	}
	me, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "gwmcp://me"})
	if err != nil || !strings.Contains(me.Contents[0].Text, `"email": "bob@sandbox.example"`) || !strings.Contains(me.Contents[0].Text, `"kind": "oauth"`) {
		t.Errorf("gwmcp://me: %v %+v", err, me)
	}
	// The demo account of the desktop is not bob's to use.
	res, _ := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "list_calendars", Arguments: map[string]any{"user_google_email": "alice@sandbox.example"}})
	if res == nil || !res.IsError {
		t.Error("bob acted as alice")
	}
}

// TestSessionsAreBoundToTheirPrincipal: carol's token with bob's session id is refused.
func TestSessionsAreBoundToTheirPrincipal(t *testing.T) {
	a, base := sandboxHTTP(t, nil)
	_ = a.Sandbox().SetAutoApprove("bob@sandbox.example")
	bob := oauthClient(t, base)
	callOK(t, bob, "list_google_accounts", map[string]any{})
	_ = a.Sandbox().SetAutoApprove("carol@sandbox.example")
	var carolToken string
	carol := oauthClientCapture(t, base, &carolToken)
	callOK(t, carol, "list_google_accounts", map[string]any{})

	body := `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"list_google_accounts","arguments":{}}}`
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+carolToken)
	req.Header.Set("Mcp-Session-Id", bob.ID())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || strings.Contains(string(b), "bob") {
		t.Fatalf("carol with bob's session: %d %s", resp.StatusCode, b)
	}
}

// oauthClientCapture is oauthClient that also hands back the access token it got.
func oauthClientCapture(t *testing.T, base string, token *string) *mcp.ClientSession {
	t.Helper()
	cs := oauthClient(t, base)
	*token = lastToken(t, base)
	return cs
}

var tokenRe = regexp.MustCompile(`"access_token":"([^"]+)"`)

// lastToken registers a fresh client and logs in again through the same flow, returning the
// raw access token (the SDK keeps its own private).
func lastToken(t testing.TB, base string) string {
	t.Helper()
	resp, err := http.Post(base+"/oauth/register", "application/json", strings.NewReader(`{"redirect_uris":["http://127.0.0.1:1/callback"],"token_endpoint_auth_method":"none","client_name":"raw"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	clientID := regexp.MustCompile(`"client_id":"([^"]+)"`).FindSubmatch(b)[1]
	verifier := strings.Repeat("v", 50)
	challenge := s256(verifier)
	u := base + "/oauth/authorize?" + url.Values{"client_id": {string(clientID)}, "redirect_uri": {"http://127.0.0.1:1/callback"},
		"response_type": {"code"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"s"}}.Encode()
	code := browse(t, u, base).Query().Get("code")
	resp, err = http.PostForm(base+"/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {"http://127.0.0.1:1/callback"}, "client_id": {string(clientID)}, "code_verifier": {verifier}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	m := tokenRe.FindSubmatch(b)
	if m == nil {
		t.Fatalf("token response: %s", b)
	}
	return string(m[1])
}

func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// TestSandboxStdio: gwmcp serve --sandbox on stdio acts as the demo account at once.
func TestSandboxStdio(t *testing.T) {
	cfg := config.Defaults()
	cfg.Sandbox, cfg.CredentialsDir, cfg.ToolTier = true, t.TempDir(), "complete"
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	a, err := New(context.Background(), Options{Config: cfg, Stdin: inR, Stdout: outW, Logger: NewLogger(io.Discard, LogOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = a.Run(ctx) }()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx, &mcp.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if cals := callOK(t, cs, "list_calendars", map[string]any{}); !strings.Contains(cals, "America/New_York") {
		t.Errorf("demo calendars: %s", cals)
	}
	me, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "gwmcp://me"})
	if err != nil || !strings.Contains(me.Contents[0].Text, SandboxDemoAccount) || !strings.Contains(me.Contents[0].Text, `"kind": "local"`) {
		t.Errorf("gwmcp://me: %v %+v", err, me)
	}
	// Nothing of the demo reached the configured credentials directory.
	if entries, _ := os.ReadDir(cfg.CredentialsDir); len(entries) != 0 {
		t.Errorf("the sandbox wrote into CREDENTIALS_DIR: %v", entries)
	}
}

// TestSignedUploadThroughTheServer: over HTTP, upload_to_drive hands out a signed URL; the
// bytes (larger than the request body limit) stream through gwmcp into the sandbox Drive as
// the principal's account; the URL is single-use and refuses another principal's token.
func TestSignedUploadThroughTheServer(t *testing.T) {
	a, base := sandboxHTTP(t, func(c *config.Config) { c.MaxRequestBytes = 1 << 20 })
	_ = a.Sandbox().SetAutoApprove("bob@sandbox.example")
	cs := oauthClient(t, base)
	up := func() string {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "upload_to_drive", Arguments: map[string]any{"filename": "report.bin"}})
		if err != nil || res.IsError {
			t.Fatalf("upload_to_drive: %v %+v", err, res)
		}
		return res.StructuredContent.(map[string]any)["upload_url"].(string)
	}
	put := func(u, token string, body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPut, u, strings.NewReader(string(body)))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	payload := []byte(strings.Repeat("gwmcp!", 500_000)) // 3 MB, past the 1 MiB body limit
	u := up()
	if !strings.HasPrefix(u, base+"/drive-upload/") {
		t.Fatalf("upload URL %q", u)
	}
	status, body := put(u, "", payload)
	if status != 200 || !strings.Contains(body, "report.bin") {
		t.Fatalf("upload: %d %s", status, body)
	}
	if status, _ := put(u, "", payload); status != http.StatusNotFound {
		t.Errorf("replayed upload URL: %d", status)
	}
	if ids := a.Sandbox().DriveFiles("report.bin"); len(ids) != 1 {
		t.Fatalf("files named report.bin: %v", ids)
	} else if f, _ := a.Sandbox().DriveFile(ids[0]); f.Owner != "bob@sandbox.example" || len(f.Content) != len(payload) {
		t.Errorf("stored file: owner %q, %d bytes", f.Owner, len(f.Content))
	}
	// Another principal's token on bob's URL is refused.
	_ = a.Sandbox().SetAutoApprove("carol@sandbox.example")
	carol := lastToken(t, base)
	if status, _ := put(up(), carol, []byte("x")); status != http.StatusForbidden {
		t.Errorf("carol's token on bob's upload URL: %d", status)
	}
}

// TestDisabledToolsArePerPrincipal: bob disables a tool for himself; it leaves his tool
// list and is refused to him, while carol keeps it; protected tools stay.
func TestDisabledToolsArePerPrincipal(t *testing.T) {
	a, base := sandboxHTTP(t, nil)
	_ = a.Sandbox().SetAutoApprove("bob@sandbox.example")
	bob := oauthClient(t, base)
	_ = a.Sandbox().SetAutoApprove("carol@sandbox.example")
	carol := oauthClient(t, base)
	ctx := context.Background()
	has := func(cs *mcp.ClientSession, name string) bool {
		lt, err := cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tool := range lt.Tools {
			if tool.Name == name {
				return true
			}
		}
		return false
	}
	out := callOK(t, bob, "manage_tools", map[string]any{"action": "disable", "tool_names": []string{"list_calendars", "manage_tools"}})
	if !strings.Contains(out, `"toolsAffected":["list_calendars"]`) || !strings.Contains(out, `"toolsSkipped":["manage_tools"]`) {
		t.Errorf("disable: %s", out)
	}
	if has(bob, "list_calendars") || !has(bob, "manage_tools") {
		t.Error("bob's tool list ignores his choice")
	}
	res, _ := bob.CallTool(ctx, &mcp.CallToolParams{Name: "list_calendars"})
	if res == nil || !res.IsError {
		t.Error("a disabled tool ran")
	}
	if !has(carol, "list_calendars") {
		t.Error("bob's choice reached carol")
	}
	callOK(t, bob, "manage_tools", map[string]any{"action": "enable_all"})
	if !has(bob, "list_calendars") {
		t.Error("enable_all did not bring the tool back")
	}
}

// approveLink plays the person on gwmcp's account-link page: approve, let the sandbox sign
// in, land on the callback page.
func approveLink(t *testing.T, link string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no link form: %s", body)
	}
	resp, err = c.PostForm(link, url.Values{"csrf": {string(m[1])}, "action": {"approve"}, "service": {"calendar"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(body)
}

// connectWithToken opens an MCP session that sends token as its bearer.
func connectWithToken(t *testing.T, base, token string) (*mcp.ClientSession, error) {
	t.Helper()
	hc := &http.Client{Transport: bearerTransport{token: token, next: http.DefaultTransport}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: base + "/mcp", HTTPClient: hc, MaxRetries: -1, DisableStandaloneSSE: true}, nil)
	if err == nil {
		t.Cleanup(func() { cs.Close() })
	}
	return cs, err
}

// TestFiveFlows walks the five identity flows of DESIGN.md section 2 against one server whose
// Google is the sandbox.
func TestFiveFlows(t *testing.T) {
	a, base := sandboxHTTP(t, func(c *config.Config) {
		c.DevTokens = "true"
		c.IDTokenAccounts = map[string][]string{"dave@consumer.example": {"alice@sandbox.example"}}
	})
	sb := a.Sandbox()

	// Flow 1: an MCP client logs in (bob); his Google account becomes his primary one.
	_ = sb.SetAutoApprove("bob@sandbox.example")
	bob := oauthClient(t, base)
	if out := callOK(t, bob, "list_calendars", map[string]any{}); !strings.Contains(out, "Europe/London") {
		t.Fatalf("flow 1: %s", out)
	}

	// Flow 2: bob connects a second account (carol signs in at Google) and uses it.
	start := callOK(t, bob, "start_google_auth", map[string]any{"service_name": []string{"calendar"}})
	link := regexp.MustCompile(`"authUrl":"([^"]+)"`).FindStringSubmatch(start)
	if link == nil {
		t.Fatalf("flow 2: %s", start)
	}
	_ = sb.SetAutoApprove("carol@sandbox.example")
	if page := approveLink(t, link[1]); !strings.Contains(page, "carol@sandbox.example is now connected") {
		t.Fatalf("flow 2 link page: %s", page)
	}
	if out := callOK(t, bob, "list_calendars", map[string]any{"user_google_email": "carol@sandbox.example"}); !strings.Contains(out, "Asia/Tokyo") {
		t.Fatalf("flow 2: %s", out)
	}

	// Flow 3: a spec client registers (DCR), authorizes with PKCE S256 and a resource
	// indicator, and gets its own consent page and token (carol).
	carolToken := lastToken(t, base)
	carol, err := connectWithToken(t, base, carolToken)
	if err != nil {
		t.Fatalf("flow 3: %v", err)
	}
	if out := callOK(t, carol, "check_auth_status", map[string]any{}); !strings.Contains(out, "carol@sandbox.example") || strings.Contains(out, "bob@") {
		t.Fatalf("flow 3: %s", out)
	}

	// Flow 4: a server-to-server caller with a Google-signed ID token for this server acts
	// as the account its allow-list names, and nothing else.
	idTok, err := sb.MintIDToken("dave@consumer.example", SandboxClientID, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := connectWithToken(t, base, idTok)
	if err != nil {
		t.Fatalf("flow 4: %v", err)
	}
	if out := callOK(t, svc, "list_calendars", map[string]any{}); !strings.Contains(out, "America/New_York") {
		t.Fatalf("flow 4: %s", out)
	}
	if res, _ := svc.CallTool(context.Background(), &mcp.CallToolParams{Name: "list_calendars", Arguments: map[string]any{"user_google_email": "bob@sandbox.example"}}); res == nil || !res.IsError {
		t.Error("flow 4: the caller acted outside its allow-list")
	}
	wrongAud, _ := sb.MintIDToken("dave@consumer.example", "someone-else", 5*time.Minute)
	if _, err := connectWithToken(t, base, wrongAud); err == nil {
		t.Error("flow 4: an ID token for another audience was accepted")
	}
	stranger, _ := sb.MintIDToken("carol@sandbox.example", SandboxClientID, 5*time.Minute)
	if _, err := connectWithToken(t, base, stranger); err == nil {
		t.Error("flow 4: a caller outside ID_TOKEN_ACCOUNTS was accepted")
	}

	// Flow 5: a development token acts as its email.
	devTok, err := a.MintDevToken("alice@sandbox.example", nil, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := connectWithToken(t, base, devTok)
	if err != nil {
		t.Fatalf("flow 5: %v", err)
	}
	if out := callOK(t, dev, "list_calendars", map[string]any{}); !strings.Contains(out, "America/New_York") {
		t.Fatalf("flow 5: %s", out)
	}
}

// TestReadOnlyRequestsReadScopes: with --read-only the login asks Google for read-only
// scopes only, and only read tools are offered.
func TestReadOnlyRequestsReadScopes(t *testing.T) {
	a, base := sandboxHTTP(t, func(c *config.Config) { c.ReadOnly = true })
	_ = a.Sandbox().SetAutoApprove("bob@sandbox.example")
	cs := oauthClient(t, base)
	callOK(t, cs, "list_calendars", map[string]any{})
	cred, err := a.Storage().Credentials.Get(context.Background(), "bob@sandbox.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range cred.Scopes {
		sc, ok := a.scopes.Lookup(s)
		if ok && sc.Service != "identity" && !sc.ReadOnly {
			t.Errorf("read-only server was granted %s", s)
		}
	}
	lt, _ := cs.ListTools(context.Background(), nil)
	offered := map[string]bool{}
	for _, tool := range lt.Tools {
		offered[tool.Name] = true
	}
	for _, write := range []string{"send_gmail_message", "create_event", "upload_to_drive", "manage_drive_files", "delete_event"} {
		if offered[write] {
			t.Errorf("read-only server offers %s", write)
		}
	}
	for _, own := range []string{"start_google_auth", "check_auth_status", "search_drive_files", "list_events"} {
		if !offered[own] {
			t.Errorf("read-only server lacks %s", own)
		}
	}
}

// TestLoginAsksLeastPrivilege: a login asks Google for the scopes the offered tools declare,
// not for whole services: the core tier never asks for full Drive or full Gmail.
func TestLoginAsksLeastPrivilege(t *testing.T) {
	a, base := sandboxHTTP(t, func(c *config.Config) { c.ToolTier = "core" })
	_ = a.Sandbox().SetAutoApprove("bob@sandbox.example")
	callOK(t, oauthClient(t, base), "search_drive_files", map[string]any{"query": "notes"})
	cred, err := a.Storage().Credentials.Get(context.Background(), "bob@sandbox.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range cred.Scopes {
		if s == "https://www.googleapis.com/auth/drive" || s == "https://mail.google.com/" || s == "https://www.googleapis.com/auth/calendar" {
			t.Errorf("core tier asked for %s", s)
		}
	}
}
