// Package toolstest owns the harness every Google tool package tests with: the in-process
// sandbox Google (OpenID and Workspace APIs) on a loopback server, credentials issued by it,
// the real client factory and resolver, and an MCP client session on a server offering the
// tools under test. Nothing in it is a test double of gwmcp's own code.
package toolstest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/googleauth"
	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/seal"
	"github.com/gwmcp/gwmcp/internal/secret"
	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/store/memory"
	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/upstream"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// ClientID is the OAuth client the harness's credentials belong to.
const ClientID = "gwmcp-tools-test.apps.googleusercontent.com"

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
)

// signingKey shares one RSA key among the sandboxes of a test binary (generating one per
// test would dominate the run time).
func signingKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		var err error
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
	})
	return key
}

// Env is one test's Google and gwmcp plumbing.
type Env struct {
	Sandbox     *sandbox.Sandbox
	URL         string // the sandbox's base URL (issuer and GOOGLE_API_BASE_URL)
	Credentials *credentials.Store
	Factory     *workspace.Factory
	Directory   *identity.Directory
	Resolver    *identity.Resolver
	Scopes      *scopes.Registry
	Deps        *tools.Deps
	Registry    *tools.Registry
	// KV is the (in-memory) key-value store tools may keep per-principal settings in.
	KV store.Store
	// LocalDefault is the local principal's default account (a file in a temporary dir).
	LocalDefault *identity.LocalDefault
}

// New starts a sandbox and builds the plumbing. Tool packages register their tools on
// e.Registry with e.Deps, then call Connect.
func New(t testing.TB) *Env {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{SigningKey: signingKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	sb.SetIssuer(srv.URL)
	if err := sb.AddClient(sandbox.Client{ID: ClientID, Secret: secret.New("test-secret"), RedirectURIs: []string{"http://127.0.0.1/oauth2callback"}}); err != nil {
		t.Fatal(err)
	}
	creds, err := credentials.Open(credentials.Options{Mode: credentials.MemoryOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { creds.Close() })
	prov, err := upstream.New(upstream.Config{Issuer: srv.URL, ClientID: ClientID, ClientSecret: secret.New("test-secret"),
		RedirectURL: "http://127.0.0.1/oauth2callback"})
	if err != nil {
		t.Fatal(err)
	}
	factory, err := workspace.New(workspace.Options{Credentials: creds, Refresher: googleauth.Refresher(prov), BaseURL: srv.URL,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	kv := memory.New(memory.Options{})
	t.Cleanup(func() { kv.Close() })
	reg := scopes.New(scopes.Options{})
	dir := identity.NewDirectory(kv, nil)
	authURL := func(_ context.Context, _ identity.Principal, email string, sc []string) (string, error) {
		return "https://gwmcp.test/auth/link?email=" + email + "&scope=" + strings.Join(sc, "+"), nil
	}
	localDef := identity.NewLocalDefault(t.TempDir(), seal.WriteFileAtomic)
	res := identity.NewResolver(identity.ResolverOptions{Directory: dir, Credentials: creds, Scopes: reg, AuthURL: authURL,
		LocalDefault: func(context.Context) string { return localDef.Get() }})
	e := &Env{Sandbox: sb, URL: srv.URL, Credentials: creds, Factory: factory, Directory: dir, Resolver: res, Scopes: reg,
		Registry: tools.NewRegistry(), KV: kv, LocalDefault: localDef}
	e.Deps = &tools.Deps{Resolver: res, Clients: factory, AuthURL: authURL, KV: kv,
		Local: identity.Principal{Subject: "local:test", Kind: identity.KindLocal}}
	return e
}

// Authorize stores a credential for a demo account (alice@sandbox.example, bob@..., carol@...)
// issued by the sandbox with the given scope URLs, as if the person had consented.
func (e *Env) Authorize(t testing.TB, email string, scopeURLs ...string) credentials.Credential {
	t.Helper()
	ts, err := e.Sandbox.IssueTokens(email, ClientID, scopeURLs)
	if err != nil {
		t.Fatal(err)
	}
	acct, _ := e.Sandbox.LookupAccount(email)
	c := credentials.Credential{Email: email, Subject: acct.Sub, AccessToken: ts.AccessToken, RefreshToken: ts.RefreshToken,
		TokenType: "Bearer", Expiry: ts.Expiry, Scopes: ts.Scopes, ClientID: ClientID}
	if err := e.Credentials.Put(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	e.Factory.Clear(email)
	return c
}

// Link records that principal p may act as email (an OAuth principal's linked account).
func (e *Env) Link(t testing.TB, p identity.Principal, email string, primary bool) {
	t.Helper()
	acct, _ := e.Sandbox.LookupAccount(email)
	if err := e.Directory.Link(context.Background(), p.Subject, identity.Link{Email: email, Subject: acct.Sub, Primary: primary}); err != nil {
		t.Fatal(err)
	}
}

// Connect returns an MCP client session on a server offering every registered tool, acting
// as principal p (the harness's local principal when p is zero).
func (e *Env) Connect(t testing.TB, p identity.Principal) *mcp.ClientSession {
	t.Helper()
	return e.ConnectWith(t, p, nil)
}

// ConnectWith is Connect with client options (for example an ElicitationHandler, which makes
// the client declare the elicitation capability).
func (e *Env) ConnectWith(t testing.TB, p identity.Principal, opts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	deps := *e.Deps
	if p.Subject != "" {
		deps.Local = p
	}
	*e.Deps = deps
	s := mcp.NewServer(&mcp.Implementation{Name: "gwmcp-test", Version: "test"}, nil)
	s.AddReceivingMiddleware(tools.Recover(tools.DiscardLogger()))
	e.Registry.Install(s, tools.Filter{Tier: tools.Complete})
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	if _, err := s.Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "toolstest", Version: "1"}, opts).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// Call calls a tool and returns its result; a protocol error fails the test.
func Call(t testing.TB, cs *mcp.ClientSession, name string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// OK calls a tool that must succeed and decodes its structured output into out (if not nil).
func OK(t testing.TB, cs *mcp.ClientSession, name string, args, out any) {
	t.Helper()
	res := Call(t, cs, name, args)
	if res.IsError {
		t.Fatalf("%s(%v) failed: %s", name, args, Text(res))
	}
	if out != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: decoding output: %v", name, err)
		}
	}
}

// Fails calls a tool that must fail and returns its error text.
func Fails(t testing.TB, cs *mcp.ClientSession, name string, args any) string {
	t.Helper()
	res := Call(t, cs, name, args)
	if !res.IsError {
		t.Fatalf("%s(%v) succeeded, want a tool error", name, args)
	}
	return Text(res)
}

// Text joins the text content of a result.
func Text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}
