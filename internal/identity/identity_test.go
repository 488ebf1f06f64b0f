package identity

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/secret"
	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/store/memory"
)

const (
	driveRO = "https://www.googleapis.com/auth/drive.readonly"
	drive   = "https://www.googleapis.com/auth/drive"
	gmailRO = "https://www.googleapis.com/auth/gmail.readonly"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	kv    store.Store
	dir   *Directory
	creds *credentials.Store
	res   *Resolver
	clk   *clock
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	kv := memory.New(memory.Options{Now: clk.Now})
	creds, err := credentials.Open(credentials.Options{Mode: credentials.MemoryOnly, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{kv: kv, dir: NewDirectory(kv, clk.Now), creds: creds, clk: clk}
	f.res = NewResolver(ResolverOptions{
		Directory: f.dir, Credentials: creds, Scopes: scopes.New(scopes.Options{}),
		AuthURL: func(_ context.Context, p Principal, email string, sc []string) (string, error) {
			return "https://gwmcp.example/auth/link?for=" + hashKey(p.Subject) + "&email=" + email + "&scopes=" + strings.Join(sc, "+"), nil
		},
		ServiceAccounts: map[string][]string{"robot@proj.iam.gserviceaccount.com": {"carol@example.com"}},
	})
	t.Cleanup(func() { kv.Close(); creds.Close() })
	return f
}

func (f *fixture) store(t testing.TB, email, sub string, sc ...string) {
	t.Helper()
	err := f.creds.Put(context.Background(), credentials.Credential{Email: email, Subject: sub, Scopes: sc,
		RefreshToken: secret.New("1//r-" + email), AccessToken: secret.New("ya29.a-" + email), Expiry: f.clk.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
}

var (
	alice = Principal{Subject: "111", Email: "alice@example.com", Kind: KindOAuth}
	bob   = Principal{Subject: "222", Email: "Bob.Builder@gmail.com", Kind: KindOAuth}
)

// setup: alice has her primary and a linked work account; bob has his primary.
func (f *fixture) setup(t *testing.T) {
	ctx := context.Background()
	f.store(t, "alice@example.com", "111", driveRO, gmailRO)
	f.store(t, "alice.work@example.org", "112", drive)
	f.store(t, "bob.builder@gmail.com", "222", drive, gmailRO)
	must(t, f.dir.Link(ctx, alice.Subject, Link{Email: "alice@example.com", Subject: "111", Primary: true}))
	must(t, f.dir.Link(ctx, alice.Subject, Link{Email: "alice.work@example.org", Subject: "112"}))
	must(t, f.dir.Link(ctx, bob.Subject, Link{Email: "bob.builder@gmail.com", Subject: "222", Primary: true}))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestIsolation: alice can never use, list or learn about bob's account through any
// spelling of his address.
func TestIsolation(t *testing.T) {
	f := newFixture(t)
	f.setup(t)
	ctx := context.Background()
	for _, requested := range []string{"bob.builder@gmail.com", "BOB.BUILDER@GMAIL.COM", "bobbuilder@gmail.com",
		"b.o.b.builder@gmail.com", "bob.builder+x@gmail.com", "bob.builder@googlemail.com", " bob.builder@gmail.com ", "222"} {
		_, err := f.res.Resolve(ctx, Request{Principal: alice, Requested: requested, Scopes: []string{driveRO}})
		var fe *ForeignAccountError
		if !errors.As(err, &fe) {
			t.Errorf("alice asking for %q: %v, want ForeignAccountError", requested, err)
		}
	}
	// A session selection naming bob's account is ignored, not honoured.
	r, err := f.res.Resolve(ctx, Request{Principal: alice, Selected: "bob.builder@gmail.com", Scopes: []string{driveRO}})
	if err != nil || r.Email != "alice@example.com" {
		t.Errorf("selection of a foreign account: %v %q", err, r.Email)
	}
	accts, err := f.res.Accounts(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accts {
		if strings.Contains(a.Email, "bob") {
			t.Errorf("alice's accounts list bob's: %+v", accts)
		}
	}
	// bob resolves his own account under any spelling.
	for _, requested := range []string{"me", "", "Bob.Builder@gmail.com", "bobbuilder@gmail.com"} {
		r, err := f.res.Resolve(ctx, Request{Principal: bob, Requested: requested, Scopes: []string{driveRO}})
		if err != nil || r.Email != "bob.builder@gmail.com" {
			t.Errorf("bob asking for %q: %v %q", requested, err, r.Email)
		}
	}
}

// TestResolverOrder walks the tiers of the resolver with each present or absent.
func TestResolverOrder(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		p         Principal
		requested string
		selected  string
		scopes    []string
		prep      func(f *fixture)
		want      string
		wantErr   any
	}{
		{name: "named own account", p: alice, requested: "alice.work@example.org", scopes: []string{drive}, want: "alice.work@example.org"},
		{name: "me is the default", p: alice, requested: "me", scopes: []string{driveRO}, want: "alice@example.com"},
		{name: "session selection beats primary", p: alice, selected: "alice.work@example.org", scopes: []string{driveRO}, want: "alice.work@example.org"},
		{name: "primary when nothing chosen", p: alice, scopes: []string{gmailRO}, want: "alice@example.com"},
		{name: "only account when no primary", p: Principal{Subject: "333", Email: "", Kind: KindOAuth}, scopes: []string{driveRO},
			prep: func(f *fixture) { must(t, f.dir.Link(ctx, "333", Link{Email: "alice.work@example.org"})) }, want: "alice.work@example.org"},
		{name: "several without default is ambiguous", p: Principal{Subject: "444", Kind: KindOAuth}, scopes: []string{driveRO},
			prep: func(f *fixture) {
				must(t, f.dir.Link(ctx, "444", Link{Email: "alice.work@example.org"}))
				must(t, f.dir.Link(ctx, "444", Link{Email: "alice@example.com"}))
			}, wantErr: new(*AmbiguousAccountError)},
		{name: "no account at all gives the URL", p: Principal{Subject: "555", Kind: KindOAuth}, scopes: []string{driveRO}, wantErr: new(*NeedsAuthError)},
		{name: "linked but no credential gives the URL", p: Principal{Subject: "666", Email: "gone@example.com", Kind: KindOAuth}, scopes: []string{driveRO},
			prep: func(f *fixture) { must(t, f.dir.Link(ctx, "666", Link{Email: "gone@example.com", Primary: true})) }, wantErr: new(*NeedsAuthError)},
		{name: "missing scope asks for just that scope", p: alice, scopes: []string{drive}, wantErr: new(*NeedsAuthError)},
		{name: "token without the scope", p: Principal{Subject: "111", Email: "alice@example.com", Kind: KindOAuth, Scopes: []string{gmailRO}}, scopes: []string{driveRO}, wantErr: new(*NeedsAuthError)},
		{name: "dev principal acts as its email", p: Principal{Subject: "dev:bob", Email: "bob.builder@gmail.com", Kind: KindDev}, scopes: []string{driveRO}, want: "bob.builder@gmail.com"},
		{name: "dev principal cannot name another", p: Principal{Subject: "dev:bob", Email: "bob.builder@gmail.com", Kind: KindDev}, requested: "alice@example.com", wantErr: new(*ForeignAccountError)},
		{name: "id token caller uses its allow-list", p: Principal{Subject: "999", Email: "robot@proj.iam.gserviceaccount.com", Kind: KindIDToken}, scopes: []string{driveRO},
			prep: func(f *fixture) { f.store(t, "carol@example.com", "333", driveRO) }, want: "carol@example.com"},
		{name: "id token caller outside its allow-list", p: Principal{Subject: "999", Email: "robot@proj.iam.gserviceaccount.com", Kind: KindIDToken}, requested: "alice@example.com", wantErr: new(*ForeignAccountError)},
		{name: "unknown id token caller has nothing", p: Principal{Subject: "998", Email: "other@proj.iam.gserviceaccount.com", Kind: KindIDToken}, scopes: []string{driveRO}, wantErr: new(*NeedsAuthError)},
		{name: "no principal", p: Principal{}, wantErr: &ErrNoPrincipal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.setup(t)
			if tt.prep != nil {
				tt.prep(f)
			}
			r, err := f.res.Resolve(ctx, Request{Principal: tt.p, Requested: tt.requested, Selected: tt.selected, Scopes: tt.scopes})
			switch want := tt.wantErr.(type) {
			case nil:
				if err != nil || r.Email != tt.want {
					t.Fatalf("got %q, %v; want %q", r.Email, err, tt.want)
				}
			case *error:
				if !errors.Is(err, *want) {
					t.Fatalf("got %v, want %v", err, *want)
				}
			default:
				if err == nil || !errors.As(err, want) {
					t.Fatalf("got %v (%T), want %T", err, err, want)
				}
			}
		})
	}
}

func TestNeedsAuthNamesJustTheMissingScope(t *testing.T) {
	f := newFixture(t)
	f.setup(t)
	_, err := f.res.Resolve(context.Background(), Request{Principal: alice, Scopes: []string{driveRO, drive}})
	var na *NeedsAuthError
	if !errors.As(err, &na) {
		t.Fatal(err)
	}
	if len(na.Missing) != 1 || na.Missing[0] != drive || !strings.Contains(na.URL, "scopes="+drive) || !strings.Contains(na.Error(), na.URL) {
		t.Errorf("needs auth = %+v (%s)", na, na.Error())
	}
	if strings.Contains(na.Error(), "1//r-") || strings.Contains(na.Error(), "ya29") {
		t.Error("error leaks a token")
	}
}

func TestLocalPrincipal(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	local := Principal{Subject: "local:me", Kind: KindLocal}
	if _, err := f.res.Resolve(ctx, Request{Principal: local, Scopes: []string{driveRO}}); !errors.As(err, new(*NeedsAuthError)) {
		t.Fatalf("no account on disk: %v", err)
	}
	f.store(t, "alice@example.com", "111", driveRO)
	if r, err := f.res.Resolve(ctx, Request{Principal: local, Scopes: []string{driveRO}}); err != nil || r.Email != "alice@example.com" {
		t.Fatalf("one account on disk: %v %q", err, r.Email)
	}
	f.store(t, "bob@example.com", "222", driveRO)
	if _, err := f.res.Resolve(ctx, Request{Principal: local, Scopes: []string{driveRO}}); !errors.As(err, new(*AmbiguousAccountError)) {
		t.Fatalf("two accounts, no default: %v", err)
	}
	if r, err := f.res.Resolve(ctx, Request{Principal: local, Requested: "BOB@example.com", Scopes: []string{driveRO}}); err != nil || r.Email != "bob@example.com" {
		t.Fatalf("named: %v %q", err, r.Email)
	}
	if _, err := f.res.Resolve(ctx, Request{Principal: local, Requested: "mallory@example.com"}); !errors.As(err, new(*ForeignAccountError)) {
		t.Fatalf("account not on disk: %v", err)
	}
	f.res.localDef = func(context.Context) string { return "bob@example.com" }
	if r, err := f.res.Resolve(ctx, Request{Principal: local, Scopes: []string{driveRO}}); err != nil || r.Email != "bob@example.com" {
		t.Fatalf("local default: %v %q", err, r.Email)
	}
}

func TestUnlinkCountsOthers(t *testing.T) {
	f := newFixture(t)
	f.setup(t)
	ctx := context.Background()
	must(t, f.dir.Link(ctx, bob.Subject, Link{Email: "alice.work@example.org"}))
	others, err := f.dir.Unlink(ctx, alice.Subject, "alice.work@example.org")
	if err != nil || others != 1 {
		t.Fatalf("unlink with another linker: %d %v", others, err)
	}
	if _, err := f.res.Resolve(ctx, Request{Principal: alice, Requested: "alice.work@example.org"}); !errors.As(err, new(*ForeignAccountError)) {
		t.Errorf("unlinked account still usable: %v", err)
	}
	others, err = f.dir.Unlink(ctx, bob.Subject, "alice.work@example.org")
	if err != nil || others != 0 {
		t.Fatalf("last unlink: %d %v", others, err)
	}
}

func TestSessions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := NewSessions(f.kv, SessionOptions{Idle: 60 * time.Minute, Absolute: 24 * time.Hour, Now: f.clk.Now})
	must(t, s.Bind(ctx, "sid-1", alice))
	if err := s.Bind(ctx, "sid-1", bob); err == nil {
		t.Fatal("a session id was bound twice")
	}
	if _, err := s.Check(ctx, "sid-1", bob.Subject); !errors.Is(err, ErrSessionForeign) {
		t.Fatalf("bob using alice's session: %v", err)
	}
	if err := s.Select(ctx, "sid-1", bob.Subject, "bob.builder@gmail.com"); !errors.Is(err, ErrSessionForeign) {
		t.Fatalf("bob selecting in alice's session: %v", err)
	}
	if _, err := s.Check(ctx, "nope", alice.Subject); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	must(t, s.Select(ctx, "sid-1", alice.Subject, "alice.work@example.org"))
	// Idle: used every 50 minutes it lives on, up to the absolute limit.
	for range 10 {
		f.clk.Add(50 * time.Minute)
		sess, err := s.Check(ctx, "sid-1", alice.Subject)
		if err != nil || sess.Selected != "alice.work@example.org" {
			t.Fatalf("active session after %s: %v", f.clk.Now().Sub(sess.Created), err)
		}
	}
	f.clk.Add(61 * time.Minute)
	if _, err := s.Check(ctx, "sid-1", alice.Subject); !errors.Is(err, ErrSessionExpired) && !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("idle session: %v", err)
	}
	// Absolute: a session used every 30 minutes still ends at 24 h.
	must(t, s.Bind(ctx, "sid-2", alice))
	start := f.clk.Now()
	var err error
	for err == nil {
		f.clk.Add(30 * time.Minute)
		_, err = s.Check(ctx, "sid-2", alice.Subject)
	}
	if got := f.clk.Now().Sub(start); got != 24*time.Hour || (!errors.Is(err, ErrSessionExpired) && !errors.Is(err, ErrSessionNotFound)) {
		t.Fatalf("absolute lifetime ended after %s with %v", got, err)
	}
	// Listing and ending by handle.
	must(t, s.Bind(ctx, "sid-3", bob))
	all, err := s.List(ctx)
	if err != nil || len(all) != 1 || all[0].Principal != bob.Subject || strings.Contains(all[0].Handle, "sid-3") {
		t.Fatalf("list = %+v %v", all, err)
	}
	must(t, s.End(ctx, all[0].Handle))
	if _, err := s.Check(ctx, "sid-3", bob.Subject); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("ended session: %v", err)
	}
}

// TestTenThousandSessionsNoLeak opens 10,000 sessions, lets them expire and sweeps, with
// the sweeper running: no goroutine is left behind and no record remains.
func TestTenThousandSessionsNoLeak(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	before := runtime.NumGoroutine()
	s := NewSessions(f.kv, SessionOptions{Idle: time.Minute, Absolute: time.Hour, Now: f.clk.Now})
	s.StartSweeper(10 * time.Millisecond)
	for i := range 10000 {
		must(t, s.Bind(ctx, "sid-"+strconv.Itoa(i), alice))
	}
	f.clk.Add(2 * time.Minute)
	n, err := s.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.StopSweeper()
	left, _ := f.kv.List(ctx, sessionPrefix)
	if len(left) != 0 {
		t.Fatalf("%d session records left after expiry (swept %d)", len(left), n)
	}
	time.Sleep(20 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before+1 {
		t.Errorf("goroutines: %d before, %d after", before, after)
	}
}

// TestLinkCacheAcrossReplicas: an unlink on one replica takes effect at once there, and on
// another replica sharing the store within LinkCacheTTL; a new link works at once everywhere.
func TestLinkCacheAcrossReplicas(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := NewDirectory(f.kv, f.clk.Now), NewDirectory(f.kv, f.clk.Now)
	if _, ok, _ := b.Lookup(ctx, "p", "x@example.com"); ok {
		t.Fatal("link before linking")
	}
	must(t, a.Link(ctx, "p", Link{Email: "x@example.com"}))
	if _, ok, _ := b.Lookup(ctx, "p", "x@example.com"); !ok {
		t.Fatal("a new link is not seen at once by another replica")
	}
	if _, err := a.Unlink(ctx, "p", "x@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := a.Lookup(ctx, "p", "x@example.com"); ok {
		t.Fatal("unlink not effective on the replica that made it")
	}
	f.clk.Add(LinkCacheTTL)
	if _, ok, _ := b.Lookup(ctx, "p", "x@example.com"); ok {
		t.Fatal("unlink not effective on another replica after LinkCacheTTL")
	}
}
