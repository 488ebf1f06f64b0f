package workspace

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/secret"
)

// 200 concurrent calls on an expired token, through a Drive client and through the plain
// HTTP client of the same account (two cached clients), cause one refresh at the sandbox.
func TestRefreshCoalescedAcrossClients(t *testing.T) {
	e := newEnv(t)
	old := e.login(alice, true)
	f := e.factory(nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range 200 {
		wg.Go(func() {
			if i%2 == 0 {
				d, err := f.Drive(ctx, alice)
				if err == nil {
					_, err = d.Files.Get("f1").Context(ctx).Do()
				}
				if err != nil {
					failed.Add(1)
					t.Errorf("drive call: %v", err)
				}
				return
			}
			hc, err := f.HTTPClient(ctx, alice)
			if err != nil {
				failed.Add(1)
				t.Errorf("http client: %v", err)
				return
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.Endpoint(ServiceDrive)+"files/f1", nil)
			resp, err := hc.Do(req)
			if err != nil {
				failed.Add(1)
				t.Errorf("http call: %v", err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failed.Add(1)
				t.Errorf("http call: status %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if got := e.sb.Stats().Refreshes; got != 1 {
		t.Errorf("sandbox refreshes = %d, want 1", got)
	}
	if got := f.Stats().Refreshes; got != 1 {
		t.Errorf("factory refreshes = %d, want 1", got)
	}
	c := e.stored(alice)
	if c.AccessToken.Reveal() == old.AccessToken.Reveal() || c.AccessToken.IsZero() {
		t.Error("stored access token was not replaced")
	}
	if want := e.clk.Now().Add(3599 * time.Second); !c.Expiry.Equal(want) {
		t.Errorf("stored expiry = %v, want %v", c.Expiry, want)
	}
	if c.RefreshToken.Reveal() != old.RefreshToken.Reveal() {
		t.Error("the refresh token changed although Google does not rotate it")
	}
	if _, ok := e.sb.AccessTokenInfo(c.AccessToken.Reveal()); !ok {
		t.Error("the stored access token is not valid at the sandbox")
	}
}

// A token within 5 minutes of expiry is refreshed; one further away is used as is.
func TestRefreshFiveMinutesBeforeExpiry(t *testing.T) {
	e := newEnv(t)
	e.login(alice, false) // expires in 3599 s
	f := e.factory(nil)
	ctx := context.Background()
	d, err := f.Drive(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Files.Get("f1").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	if n := f.Stats().Refreshes; n != 0 {
		t.Fatalf("refreshed a fresh token (%d)", n)
	}
	e.clk.Advance(3599*time.Second - 5*time.Minute + time.Second) // 4m59s left
	if _, err := d.Files.Get("f1").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	if n := e.sb.Stats().Refreshes; n != 1 {
		t.Fatalf("sandbox refreshes = %d, want 1", n)
	}
}

// Another process (a second factory over the same storage) refreshed already: the
// re-read of storage finds its token and no second refresh is made.
func TestRereadsStorageBeforeRefreshing(t *testing.T) {
	e := newEnv(t)
	e.login(alice, true)
	f1, f2 := e.factory(nil), e.factory(nil)
	ctx := context.Background()
	for _, f := range []*Factory{f1, f2} {
		d, err := f.Drive(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Files.Get("f1").Context(ctx).Do(); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sb.Stats().Refreshes; n != 1 {
		t.Errorf("sandbox refreshes = %d, want 1", n)
	}
	if n := f2.Stats().Refreshes; n != 0 {
		t.Errorf("second process refreshed %d times", n)
	}
}

// A token Google refuses with 401 although storage thinks it is valid is refreshed once,
// and the request is sent again; 50 concurrent calls still cause one refresh.
func TestUnauthorizedForcesOneRefresh(t *testing.T) {
	e := newEnv(t)
	e.login(alice, false)
	if err := e.sb.ExpireAccessTokens(alice); err != nil { // storage still says valid
		t.Fatal(err)
	}
	f := e.factory(nil)
	ctx := context.Background()
	d, err := f.Drive(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := d.Files.Get("f1").Context(ctx).Do(); err != nil {
				t.Errorf("call: %v", err)
			}
		})
	}
	wg.Wait()
	if n := e.sb.Stats().Refreshes; n != 1 {
		t.Errorf("sandbox refreshes = %d, want 1", n)
	}
}

// A request whose body cannot be rebuilt is not resent after a 401: the 401 comes back.
func TestUnauthorizedWithoutReplayableBody(t *testing.T) {
	e := newEnv(t)
	e.login(alice, false)
	_ = e.sb.ExpireAccessTokens(alice)
	f := e.factory(nil)
	hc, err := f.HTTPClient(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", maxBuffer+1) // too large to keep for a replay
	req, _ := http.NewRequest(http.MethodPost, e.api.URL+"/drive/v3/files", io.NopCloser(strings.NewReader(big)))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || e.hits.Load() != 1 {
		t.Errorf("status %d after %d requests, want 401 after 1", resp.StatusCode, e.hits.Load())
	}
	// A small body is kept, so the same POST is resent with a refreshed token.
	_ = e.sb.ExpireAccessTokens(alice)
	req, _ = http.NewRequest(http.MethodPost, e.api.URL+"/drive/v3/files", io.NopCloser(strings.NewReader("{}")))
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || e.hits.Load() != 3 {
		t.Errorf("status %d after %d requests, want 200 after 3", resp.StatusCode, e.hits.Load())
	}
}

// invalid_grant (the person removed the app's access) becomes a *ReauthError with the
// account and its scopes; no token appears in the error or the logs.
func TestInvalidGrantIsReauth(t *testing.T) {
	e := newEnv(t)
	c := e.login(alice, true)
	if err := e.sb.RevokeAll(alice); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	f := e.factory(func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ctx := context.Background()
	d, err := f.Drive(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Files.Get("f1").Context(ctx).Do()
	var re *ReauthError
	if !errors.As(err, &re) || !errors.Is(err, ErrReauthRequired) {
		t.Fatalf("err = %v, want a ReauthError", err)
	}
	if re.Email != alice || !slices.Equal(re.Scopes, c.Scopes) {
		t.Errorf("ReauthError = %+v", re)
	}
	if errors.Is(err, ErrUnavailable) {
		t.Error("a revoked grant must not look like an outage")
	}
	if d := Describe(err); !strings.Contains(d, alice) || !strings.Contains(d, "authorize") || strings.Contains(d, "workspace:") {
		t.Errorf("Describe = %q", d)
	}
	for _, s := range []string{err.Error(), logs.String()} {
		if strings.Contains(s, c.RefreshToken.Reveal()) || strings.Contains(s, c.AccessToken.Reveal()) {
			t.Errorf("a token leaked: %s", s)
		}
	}
	if e.hits.Load() != 0 {
		t.Error("a request was sent without a usable token")
	}
}

// 5xx at the token endpoint is ErrUnavailable, not a re-authorization, and the next
// call refreshes fine.
func TestTokenEndpointOutageIsUnavailable(t *testing.T) {
	e := newEnv(t)
	e.login(alice, true)
	e.sb.FailNext(sandbox.EndpointToken, http.StatusServiceUnavailable, 1)
	f := e.factory(nil)
	ctx := context.Background()
	d, err := f.Drive(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Files.Get("f1").Context(ctx).Do()
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrReauthRequired) {
		t.Fatalf("err = %v, want ErrUnavailable and not reauth", err)
	}
	if got := Describe(err); !strings.Contains(got, "unavailable") {
		t.Errorf("Describe = %q", got)
	}
	if _, err := d.Files.Get("f1").Context(ctx).Do(); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	if s := f.Stats(); s.Refreshes != 2 || s.RefreshFailures != 1 {
		t.Errorf("stats = %+v", s)
	}
}

// No credential: a distinct error at lookup, and at request time once it is deleted.
func TestNoCredential(t *testing.T) {
	e := newEnv(t)
	f := e.factory(nil)
	ctx := context.Background()
	for _, email := range []string{"nobody@sandbox.example", "", "not-an-address"} {
		if _, err := f.Drive(ctx, email); !errors.Is(err, ErrNoCredential) {
			t.Errorf("Drive(%q) err = %v, want ErrNoCredential", email, err)
		}
	}
	e.login(alice, false)
	hc, err := f.HTTPClient(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.Delete(ctx, alice); err != nil {
		t.Fatal(err)
	}
	_, err = hc.Get(e.api.URL + "/drive/v3/files/f1")
	if !errors.Is(err, ErrNoCredential) {
		t.Fatalf("err = %v, want ErrNoCredential", err)
	}
	if d := Describe(err); !strings.Contains(d, "authorize") {
		t.Errorf("Describe = %q", d)
	}
}

// An expired access token without a refresh token needs re-authorization.
func TestNoRefreshTokenIsReauth(t *testing.T) {
	st := memStore(t, credentials.Credential{Email: alice, AccessToken: secret.New("ya29.old"),
		Expiry: time.Now().Add(-time.Hour), Scopes: []string{driveRO}})
	f, err := New(Options{Credentials: st, Refresher: noRefresh{t},
		Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			t.Error("a request was sent without a token")
			return nil, errors.New("offline")
		})})
	if err != nil {
		t.Fatal(err)
	}
	hc, err := f.HTTPClient(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	_, err = hc.Get("https://www.googleapis.com/drive/v3/files")
	var re *ReauthError
	if !errors.As(err, &re) || re.Email != alice {
		t.Fatalf("err = %v, want ReauthError", err)
	}
}

// A crash (or failed write) between refresh and write-back loses nothing usable: Google
// keeps the refresh token, the call succeeds with the new access token, storage still
// holds a working refresh token, and a restarted process refreshes again fine.
func TestWriteBackFailureWithoutRotation(t *testing.T) {
	e := newEnv(t)
	old := e.login(alice, true)
	fs := &flakyStore{Store: e.store}
	fs.failUpdates.Store(1)
	f := e.factory(func(o *Options) { o.Credentials = fs })
	ctx := context.Background()
	d, err := f.Drive(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Files.Get("f1").Context(ctx).Do(); err != nil {
		t.Fatalf("call after failed write-back: %v", err)
	}
	if c := e.stored(alice); c.RefreshToken.Reveal() != old.RefreshToken.Reveal() ||
		c.AccessToken.Reveal() != old.AccessToken.Reveal() {
		t.Fatal("storage changed although the write failed")
	}
	// The same process keeps the new access token in memory: no refresh storm.
	if _, err := d.Files.Get("f1").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	if n := e.sb.Stats().Refreshes; n != 1 {
		t.Errorf("sandbox refreshes = %d, want 1", n)
	}
	if s := f.Stats(); s.WriteBackFailures != 1 {
		t.Errorf("stats = %+v", s)
	}
	// A restarted process (new factory, same storage) refreshes with the stored token.
	f2 := e.factory(nil)
	d2, err := f2.Drive(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Files.Get("f1").Context(ctx).Do(); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if n := e.sb.Stats().Refreshes; n != 2 {
		t.Errorf("sandbox refreshes = %d, want 2", n)
	}
	if c := e.stored(alice); c.AccessToken.Reveal() == old.AccessToken.Reveal() {
		t.Error("the restarted process did not write back")
	}
	// And the first process, once its memory token nears expiry, refreshes again.
	e.clk.Advance(time.Hour)
	if _, err := d.Files.Get("f1").Context(ctx).Do(); err != nil {
		t.Fatalf("later call: %v", err)
	}
	if n := e.sb.Stats().Refreshes; n != 3 {
		t.Errorf("sandbox refreshes = %d, want 3", n)
	}
}

// rotatingRefresher issues a new refresh token on every refresh, recording the one used.
type rotatingRefresher struct {
	mu   sync.Mutex
	n    int
	used []string
	clk  func() time.Time
}

func (r *rotatingRefresher) Refresh(_ context.Context, rt secret.String) (Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	r.used = append(r.used, rt.Reveal())
	return Token{AccessToken: secret.New("ya29.rotated-" + string(rune('0'+r.n))), TokenType: "Bearer",
		Expiry: r.clk().Add(time.Hour), RefreshToken: secret.New("1//rotated-" + string(rune('0'+r.n)))}, nil
}

// A rotated refresh token is in storage before the access token is used; when it cannot
// be saved the access token is withheld, and the next call saves it without refreshing.
func TestRotatedRefreshTokenWrittenBeforeUse(t *testing.T) {
	st := memStore(t, credentials.Credential{Email: alice, RefreshToken: secret.New("1//original"),
		AccessToken: secret.New("ya29.old"), Expiry: time.Now().Add(-time.Hour)})
	fs := &flakyStore{Store: st}
	var seenRT atomic.Value
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		c, _ := st.Get(r.Context(), alice)
		seenRT.Store(c.RefreshToken.Reveal())
		w.Write([]byte(`{"id":"f1"}`))
	})
	ref := &rotatingRefresher{clk: time.Now}
	f, err := New(Options{Credentials: fs, Refresher: ref, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := f.Drive(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}

	fs.failUpdates.Store(1)
	_, err = d.Files.Get("f1").Context(ctx).Do()
	if !errors.Is(err, ErrWriteBack) {
		t.Fatalf("err = %v, want ErrWriteBack", err)
	}
	if srv.count() != 0 {
		t.Fatal("the access token was used before the rotated refresh token was saved")
	}
	if d := Describe(err); !strings.Contains(d, "could not save") {
		t.Errorf("Describe = %q", d)
	}

	if _, err := d.Files.Get("f1").Context(ctx).Do(); err != nil {
		t.Fatalf("second call: %v", err)
	}
	if got := seenRT.Load(); got != "1//rotated-1" {
		t.Errorf("storage held refresh token %q when the request arrived, want the rotated one", got)
	}
	if ref.n != 1 {
		t.Errorf("refreshes = %d, want 1 (the kept token is saved, not refreshed again)", ref.n)
	}
	if c, _ := st.Get(ctx, alice); c.AccessToken.Reveal() != "ya29.rotated-1" {
		t.Error("the access token was not saved")
	}
	// The next refresh uses the rotated refresh token.
	if _, err := st.Update(ctx, alice, func(c *credentials.Credential) error {
		c.Expiry = time.Now().Add(-time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Files.Get("f1").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ref.used, []string{"1//original", "1//rotated-1"}) {
		t.Errorf("refresh tokens used = %q", ref.used)
	}
	if got := seenRT.Load(); got != "1//rotated-2" {
		t.Errorf("storage held refresh token %q when the request arrived, want 1//rotated-2", got)
	}
}

// A refresh waiting for the account lock gives up when its context ends.
func TestRefreshWaitHonoursContext(t *testing.T) {
	st := memStore(t, credentials.Credential{Email: alice, RefreshToken: secret.New("1//rt"),
		AccessToken: secret.New("ya29.old"), Expiry: time.Now().Add(-time.Hour)})
	block := make(chan struct{})
	started := make(chan struct{})
	ref := refresherFunc(func(ctx context.Context, _ secret.String) (Token, error) {
		close(started)
		<-block
		return Token{AccessToken: secret.New("ya29.new"), Expiry: time.Now().Add(time.Hour)}, nil
	})
	f, err := New(Options{Credentials: st, Refresher: ref})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.tokens.accessToken(context.Background(), alice, "")
		done <- err
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := f.tokens.accessToken(ctx, alice, ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
	close(block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type refresherFunc func(context.Context, secret.String) (Token, error)

func (r refresherFunc) Refresh(ctx context.Context, rt secret.String) (Token, error) {
	return r(ctx, rt)
}
