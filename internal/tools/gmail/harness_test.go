package gmail

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
	"github.com/gwmcp/gwmcp/internal/transfer"
)

const (
	alice = "alice@sandbox.example"
	bob   = "bob@sandbox.example"
	carol = "carol@sandbox.example"
	dave  = "dave@consumer.example"
)

// allScopes are every scope the tools declare.
var allScopes = []string{ScopeReadonly, ScopeSend, ScopeCompose, ScopeLabels, ScopeModify, ScopeSettingsBasic}

// newEnv starts a sandbox with the Gmail tools registered; tr may be nil.
func newEnv(t *testing.T, tr tools.Transfers) *toolstest.Env {
	t.Helper()
	env := toolstest.New(t)
	env.Deps.Transfers = tr
	Register(env.Registry, env.Deps)
	return env
}

// aliceSession authorizes alice with every Gmail scope and connects as the local principal.
func aliceSession(t *testing.T, tr tools.Transfers) (*toolstest.Env, *mcp.ClientSession) {
	t.Helper()
	env := newEnv(t, tr)
	env.Authorize(t, alice, allScopes...)
	return env, env.Connect(t, identity.Principal{})
}

// connectLegacy connects a client that speaks protocol 2025-11-25, where a server may send
// its own elicitation requests during a tool call (toolstest.ConnectWith negotiates the
// newest version, where it may not).
func connectLegacy(t *testing.T, env *toolstest.Env, opts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "gwmcp-test", Version: "test"}, nil)
	s.AddReceivingMiddleware(tools.Recover(tools.DiscardLogger()))
	env.Registry.Install(s, tools.Filter{Tier: tools.Complete})
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	if _, err := s.Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "legacy", Version: "1"}, opts).Connect(ctx, ct,
		&mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// find returns the message of the mailbox whose subject is subject (the newest such).
func find(t *testing.T, env *toolstest.Env, mailbox, subject string) sandbox.GmailMessageInfo {
	t.Helper()
	for _, m := range env.Sandbox.GmailMessages(mailbox) {
		if m.Header("Subject") == subject {
			return m
		}
	}
	t.Fatalf("%s has no message %q", mailbox, subject)
	return sandbox.GmailMessageInfo{}
}

// byID returns a message of a mailbox by id.
func byID(t *testing.T, env *toolstest.Env, mailbox, id string) sandbox.GmailMessageInfo {
	t.Helper()
	for _, m := range env.Sandbox.GmailMessages(mailbox) {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("%s has no message %s", mailbox, id)
	return sandbox.GmailMessageInfo{}
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q, want it to contain %q", what, got, w)
		}
	}
}

// localTransfer is the real transfer service in local (stdio) mode, on a temporary folder.
func localTransfer(t *testing.T) *transfer.Service {
	t.Helper()
	s, err := transfer.New(transfer.Options{LocalDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// urlTransfer is the real transfer service minting URLs, served by an httptest server.
func urlTransfer(t *testing.T, kv store.Store) *transfer.Service {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s, err := transfer.New(transfer.Options{BaseURL: srv.URL, KV: kv})
	if err != nil {
		t.Fatal(err)
	}
	s.Routes(mux)
	return s
}
