package authserver

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

type whoamiOut struct {
	Subject string   `json:"subject"`
	Email   string   `json:"email"`
	Client  string   `json:"client"`
	Scopes  []string `json:"scopes"`
}

// mountMCP serves a real MCP server with one tool behind RequireBearer.
func mountMCP(seen *atomic.Pointer[Principal]) func(e *env, mux *http.ServeMux) {
	return func(e *env, mux *http.ServeMux) {
		server := mcp.NewServer(&mcp.Implementation{Name: "gwmcp-test", Version: "0"}, nil)
		mcp.AddTool(server, &mcp.Tool{Name: "whoami", Description: "Says who is calling."},
			func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, whoamiOut, error) {
				p, ok := PrincipalFromTokenInfo(req.Extra.TokenInfo)
				if !ok {
					return nil, whoamiOut{}, errNoPrincipal
				}
				seen.Store(&p)
				return nil, whoamiOut{Subject: p.Subject, Email: p.Email, Client: p.ClientID, Scopes: p.Scopes}, nil
			})
		h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
		mux.Handle("/mcp", e.srv.RequireBearer(h))
	}
}

var errNoPrincipal = errorString("no principal in the tool handler")

type errorString string

func (e errorString) Error() string { return string(e) }

// runSDKFlow connects the SDK's own OAuth client to e's /mcp and calls whoami.
func runSDKFlow(t *testing.T, e *env, seen *atomic.Pointer[Principal]) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := e.newBrowser()
	var fetched atomic.Int32
	handler, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{
			Metadata: &oauthex.ClientRegistrationMetadata{
				RedirectURIs:            []string{clientRedirect},
				ClientName:              "SDK end-to-end client",
				GrantTypes:              []string{"authorization_code", "refresh_token"},
				TokenEndpointAuthMethod: "none",
			},
		},
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			fetched.Add(1)
			loc := b.run(args.URL)
			q := loc.Query()
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
		RequestRefreshToken: true,
		Client:              e.ts.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "sdk-e2e", Version: "0"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint: e.base + "/mcp", HTTPClient: e.ts.Client(), OAuthHandler: handler, DisableStandaloneSSE: true,
	}, nil)
	if err != nil {
		t.Fatalf("connect: %v\nlogs:\n%s", err, e.logs)
	}
	defer session.Close()
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"})
	if err != nil {
		t.Fatalf("call tool: %v", err)
	}
	if res.IsError {
		t.Fatalf("tool error: %+v", res.Content)
	}
	if fetched.Load() != 1 {
		t.Fatalf("authorization ran %d times, want 1", fetched.Load())
	}
	if len(b.pages) != 1 || !strings.Contains(b.pages[0], "SDK end-to-end client") {
		t.Fatalf("the consent page was not shown once: %d pages", len(b.pages))
	}
	return res
}

func TestSDKClientEndToEnd(t *testing.T) {
	var seen atomic.Pointer[Principal]
	e := newEnv(t, envOptions{mount: mountMCP(&seen)})

	// Without a token: 401 pointing at the resource metadata.
	resp, _ := e.callMCP("", `{"jsonrpc":"2.0","id":1,"method":"ping"}`)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d", resp.StatusCode)
	}
	want := `Bearer resource_metadata="` + e.base + `/.well-known/oauth-protected-resource/mcp"`
	if got := resp.Header.Get("WWW-Authenticate"); got != want {
		t.Fatalf("WWW-Authenticate = %q, want %q", got, want)
	}

	runSDKFlow(t, e, &seen)
	p := seen.Load()
	if p == nil || p.Subject != aliceSub || p.Email != alice || !strings.HasPrefix(p.ClientID, "mcp_") {
		t.Fatalf("tool saw principal %+v", p)
	}
	if !contains(p.Scopes, scopeDrive) || !contains(p.Scopes, "openid") {
		t.Fatalf("scopes %v", p.Scopes)
	}
	l := e.accounts.lastLogin()
	if l.Identity.Subject != aliceSub || l.Tokens.RefreshToken.IsZero() || l.ClientID != p.ClientID {
		t.Fatalf("SaveLogin got %+v", l.Identity)
	}
}
