package accounts

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/secret"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
	"github.com/gwmcp/gwmcp/internal/upstream"
)

const (
	driveRO = "https://www.googleapis.com/auth/drive.readonly"
	gmailRO = "https://www.googleapis.com/auth/gmail.readonly"
)

var (
	alice = identity.Principal{Subject: "sub-alice", Email: "alice@sandbox.example", Kind: identity.KindOAuth}
	bob   = identity.Principal{Subject: "sub-bob", Email: "bob@sandbox.example", Kind: identity.KindOAuth}
)

type fixture struct {
	env  *toolstest.Env
	deps *Deps
}

func newFixture(t *testing.T, local bool) *fixture {
	t.Helper()
	env := toolstest.New(t)
	if err := env.Sandbox.AddClient(sandbox.Client{ID: "desktop", Secret: secret.New("d"), Desktop: true}); err != nil {
		t.Fatal(err)
	}
	up, err := upstream.New(upstream.Config{Issuer: env.URL, ClientID: "desktop", ClientSecret: secret.New("d"), RedirectURL: "http://127.0.0.1/oauth2callback"})
	if err != nil {
		t.Fatal(err)
	}
	linker := identity.NewLinker(identity.LinkerOptions{KV: env.KV, Credentials: env.Credentials, Directory: env.Directory, Upstream: up,
		Scopes: env.Scopes, BaseURL: "http://gwmcp.test", CallbackURL: "http://gwmcp.test/oauth2callback", ClientID: "desktop"})
	d := &Deps{Tools: env.Deps, Resolver: env.Resolver, Directory: env.Directory, Linker: linker, Credentials: env.Credentials,
		Scopes: env.Scopes, Revoker: up, Clients: env.Factory, Local: local}
	if local {
		d.LocalDefault = env.LocalDefault
	}
	Register(env.Registry, d)
	return &fixture{env: env, deps: d}
}

// TestIsolation: alice can never list, switch to, revoke, inspect or learn about bob's
// account, under any spelling of his address.
func TestIsolation(t *testing.T) {
	f := newFixture(t, false)
	f.env.Authorize(t, "alice@sandbox.example", driveRO)
	f.env.Authorize(t, "bob@sandbox.example", driveRO, gmailRO)
	f.env.Link(t, alice, "alice@sandbox.example", true)
	f.env.Link(t, bob, "bob@sandbox.example", true)
	cs := f.env.Connect(t, alice)

	for _, name := range []string{"check_auth_status", "list_google_accounts"} {
		res := toolstest.Call(t, cs, name, map[string]any{})
		if res.IsError || strings.Contains(toolstest.Text(res), "bob") {
			t.Errorf("%s shows bob or failed: %s", name, toolstest.Text(res))
		}
	}
	var summary ManageOutput
	toolstest.OK(t, cs, "manage_credentials", map[string]any{"action": "summary"}, &summary)
	if len(summary.Credentials) != 1 || summary.Credentials[0].Email != "alice@sandbox.example" {
		t.Errorf("summary = %+v", summary)
	}
	for _, bobAddr := range []string{"bob@sandbox.example", "BOB@Sandbox.Example", " bob@sandbox.example"} {
		for _, call := range []struct {
			name string
			args map[string]any
		}{
			{"switch_google_account", map[string]any{"user_google_email": bobAddr}},
			{"revoke_google_account", map[string]any{"user_google_email": bobAddr}},
			{"manage_credentials", map[string]any{"action": "status", "email": bobAddr}},
			{"manage_credentials", map[string]any{"action": "delete", "email": bobAddr}},
		} {
			msg := toolstest.Fails(t, cs, call.name, call.args)
			if !strings.Contains(msg, "not one of the Google accounts you have connected") {
				t.Errorf("%s(%q): %s", call.name, bobAddr, msg)
			}
		}
	}
	if _, err := f.env.Credentials.Get(context.Background(), "bob@sandbox.example"); err != nil {
		t.Fatalf("bob's credential was touched: %v", err)
	}
}

func TestStatusShowsGrantsWithoutTokens(t *testing.T) {
	f := newFixture(t, false)
	c := f.env.Authorize(t, "alice@sandbox.example", driveRO, gmailRO)
	f.env.Link(t, alice, "alice@sandbox.example", true)
	cs := f.env.Connect(t, alice)
	var st AuthStatus
	toolstest.OK(t, cs, "check_auth_status", map[string]any{}, &st)
	if len(st.Accounts) != 1 {
		t.Fatalf("status = %+v", st)
	}
	a := st.Accounts[0]
	if !a.Primary || !a.Default || !a.Authorized || !a.CanRefresh || !contains(a.Services, "drive") || !contains(a.Services, "gmail") || st.AuthMethod != "oauth" {
		t.Errorf("account = %+v", a)
	}
	text := toolstest.Text(toolstest.Call(t, cs, "check_auth_status", map[string]any{}))
	if strings.Contains(text, c.AccessToken.Reveal()) || strings.Contains(text, c.RefreshToken.Reveal()) {
		t.Error("status shows a token")
	}
}

// TestRevokeSharedAccount: an account two principals linked survives the first revoke (only
// the link goes) and is revoked at Google by the second.
func TestRevokeSharedAccount(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	f.env.Authorize(t, "carol@sandbox.example", driveRO)
	f.env.Link(t, alice, "carol@sandbox.example", false)
	f.env.Link(t, bob, "carol@sandbox.example", false)

	var out RevokeOutput
	toolstest.OK(t, f.env.Connect(t, alice), "revoke_google_account", map[string]any{"user_google_email": "carol@sandbox.example"}, &out)
	if out.RevokedAtGoogle || out.CredentialDelete {
		t.Fatalf("first revoke touched the shared credential: %+v", out)
	}
	if _, err := f.env.Credentials.Get(ctx, "carol@sandbox.example"); err != nil {
		t.Fatal("credential gone after the first revoke")
	}
	if _, ok, _ := f.env.Directory.Lookup(ctx, alice.Subject, "carol@sandbox.example"); ok {
		t.Fatal("alice still linked")
	}
	toolstest.OK(t, f.env.Connect(t, bob), "revoke_google_account", map[string]any{"user_google_email": "carol@sandbox.example"}, &out)
	if !out.RevokedAtGoogle || !out.CredentialDelete {
		t.Fatalf("last revoke: %+v", out)
	}
	if _, err := f.env.Credentials.Get(ctx, "carol@sandbox.example"); err == nil {
		t.Fatal("credential kept after the last revoke")
	}
}

// TestLocalStartAuthAndSwitch: on the desktop, start_google_auth's URL completes on the
// loopback listener; switch_google_account persists the default.
func TestLocalStartAuthAndSwitch(t *testing.T) {
	f := newFixture(t, true)
	if err := f.env.Sandbox.SetAutoApprove("bob@sandbox.example"); err != nil {
		t.Fatal(err)
	}
	f.env.Authorize(t, "alice@sandbox.example", driveRO)
	cs := f.env.Connect(t, identity.Principal{})
	var start StartAuthOutput
	toolstest.OK(t, cs, "start_google_auth", map[string]any{"service_name": []string{"gmail"}, "auto_open_browser": false}, &start)
	if start.BrowserOpened || len(start.Services) != 1 {
		t.Fatalf("start = %+v", start)
	}
	resp, err := http.Get(start.AuthURL) // the person approves; the sandbox signs bob in
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var list AccountList
	toolstest.OK(t, cs, "list_google_accounts", map[string]any{}, &list)
	if len(list.Accounts) != 2 || list.Default != "" {
		t.Fatalf("after linking bob: %+v", list)
	}
	var sw SwitchOutput
	toolstest.OK(t, cs, "switch_google_account", map[string]any{"user_google_email": "BOB@sandbox.example"}, &sw)
	if sw.Default != "bob@sandbox.example" || sw.Scope != "local" || f.deps.LocalDefault.Get() != "bob@sandbox.example" {
		t.Fatalf("switch = %+v, file %q", sw, f.deps.LocalDefault.Get())
	}
	toolstest.OK(t, cs, "list_google_accounts", map[string]any{}, &list)
	if list.Default != "bob@sandbox.example" {
		t.Errorf("default after switch = %q", list.Default)
	}
	if msg := toolstest.Fails(t, cs, "switch_google_account", map[string]any{"user_google_email": "mallory@example.com"}); !strings.Contains(msg, "not one of") {
		t.Errorf("switch to an unknown account: %s", msg)
	}
}

func TestHTTPStartAuthGivesLinkPage(t *testing.T) {
	f := newFixture(t, false)
	var start StartAuthOutput
	toolstest.OK(t, f.env.Connect(t, alice), "start_google_auth", map[string]any{"user_google_email": "alice.work@example.org"}, &start)
	if !strings.HasPrefix(start.AuthURL, "http://gwmcp.test/auth/link/") || start.UserEmail != "alice.work@example.org" || len(start.Services) != 6 {
		t.Errorf("start = %+v", start)
	}
	if msg := toolstest.Fails(t, f.env.Connect(t, alice), "start_google_auth", map[string]any{"service_name": []string{"fax"}}); !strings.Contains(msg, "service_name") {
		t.Errorf("unknown service: %s", msg)
	}
}

func TestManageCredentials(t *testing.T) {
	f := newFixture(t, false)
	f.env.Authorize(t, "alice@sandbox.example", driveRO)
	f.env.Link(t, alice, "alice@sandbox.example", true)
	cs := f.env.Connect(t, alice)
	var out ManageOutput
	toolstest.OK(t, cs, "manage_credentials", map[string]any{"action": "status", "email": "alice@sandbox.example"}, &out)
	if !out.Success || len(out.Credentials) != 1 || out.Credentials[0].StorageMode != "MEMORY_ONLY" {
		t.Errorf("status = %+v", out)
	}
	if msg := toolstest.Fails(t, cs, "manage_credentials", map[string]any{"action": "migrate", "email": "alice@sandbox.example", "new_storage_mode": "FILE_PLAINTEXT"}); !strings.Contains(msg, "gwmcp credentials migrate") {
		t.Errorf("migrate to another mode: %s", msg)
	}
	toolstest.OK(t, cs, "manage_credentials", map[string]any{"action": "migrate", "email": "alice@sandbox.example", "new_storage_mode": "MEMORY_ONLY"}, &out)
	for _, bad := range []map[string]any{{"action": "explode"}, {"action": "status"}} {
		toolstest.Fails(t, cs, "manage_credentials", bad)
	}
	toolstest.OK(t, cs, "manage_credentials", map[string]any{"action": "delete", "email": "alice@sandbox.example"}, &out)
	if _, err := f.env.Credentials.Get(context.Background(), "alice@sandbox.example"); err == nil {
		t.Error("delete kept the credential")
	}
}
