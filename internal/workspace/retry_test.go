package workspace

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
)

const (
	errForbiddenFile = `{"error":{"code":403,"message":"The user does not have sufficient permissions for this file.",` +
		`"errors":[{"domain":"global","reason":"insufficientFilePermissions","message":"The user does not have sufficient permissions for this file."}]}}`
	errRateLimit = `{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded","message":"Rate Limit Exceeded"}]}}`
	errBackend   = `{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}`
)

// step is one scripted answer.
type step struct {
	status int
	header map[string]string
	body   string
}

// scripted serves the steps in order, then keeps answering the last one.
func scripted(t *testing.T, steps ...step) *recorder {
	var mu sync.Mutex
	i := 0
	return newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		s := steps[min(i, len(steps)-1)]
		i++
		mu.Unlock()
		for k, v := range s.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(s.status)
		io.WriteString(w, s.body)
	})
}

// retryEnv is a factory with a valid credential, a fake clock that the injected sleep
// advances, and the waits it was asked for.
type retryEnv struct {
	f     *Factory
	clk   *clock
	mu    sync.Mutex
	waits []time.Duration
}

func newRetryEnv(t *testing.T, base string, mod func(*Options)) *retryEnv {
	t.Helper()
	re := &retryEnv{clk: newClock()}
	o := Options{Credentials: memStore(t, validCred(alice, "ya29.valid")), Refresher: noRefresh{t},
		BaseURL: base, Now: re.clk.Now, Rand: fixedRand(0x80),
		Sleep: func(ctx context.Context, d time.Duration) error {
			re.mu.Lock()
			re.waits = append(re.waits, d)
			re.mu.Unlock()
			re.clk.Advance(d)
			return ctx.Err()
		}}
	if mod != nil {
		mod(&o)
	}
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	re.f = f
	return re
}

func (re *retryEnv) drive(t *testing.T) *drive.Service {
	t.Helper()
	d, err := re.f.Drive(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRetry429And503ThenSuccess(t *testing.T) {
	srv := scripted(t,
		step{429, map[string]string{"Retry-After": "1"}, `{"error":{"code":429,"message":"Quota exceeded"}}`},
		step{503, nil, errBackend},
		step{200, nil, `{"id":"f1","name":"ok"}`})
	re := newRetryEnv(t, srv.URL, nil)
	file, err := re.drive(t).Files.Get("f1").Context(context.Background()).Do()
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	if file.Name != "ok" || srv.count() != 3 {
		t.Fatalf("file %+v after %d requests", file, srv.count())
	}
	// Retry-After: 1 is honoured exactly; the second retry is full jitter over
	// [0, 2*500ms) with the fixed source at one half: 500ms.
	if want := []time.Duration{time.Second, 500 * time.Millisecond}; !slices.Equal(re.waits, want) {
		t.Errorf("waits = %v, want %v", re.waits, want)
	}
	if re.f.Stats().Retries != 2 {
		t.Errorf("retries = %d", re.f.Stats().Retries)
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	at := newClock().Now().Add(7 * time.Second).Format(http.TimeFormat) // newRetryEnv's clock starts there too
	srv := scripted(t, step{503, map[string]string{"Retry-After": at}, errBackend}, step{200, nil, `{"id":"f1"}`})
	re := newRetryEnv(t, srv.URL, nil)
	if _, err := re.drive(t).Files.Get("f1").Do(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(re.waits, []time.Duration{7 * time.Second}) {
		t.Errorf("waits = %v, want [7s]", re.waits)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	re := newRetryEnv(t, "", func(o *Options) { o.Rand = fixedRand(0xff) }) // 255/256 of the ceiling
	rt := &retryTransport{f: re.f}
	cases := []struct {
		attempt int
		ceiling time.Duration
	}{
		{0, 500 * time.Millisecond}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second},
		{4, 8 * time.Second}, {5, 16 * time.Second}, {6, 16 * time.Second}, {40, 16 * time.Second}, {100, 16 * time.Second},
	}
	for _, tc := range cases {
		if got, want := rt.backoff(tc.attempt), tc.ceiling*255/256; got != want {
			t.Errorf("backoff(%d) = %v, want %v", tc.attempt, got, want)
		}
	}
	zero := &retryTransport{f: newRetryEnv(t, "", func(o *Options) { o.Rand = fixedRand(0) }).f}
	if d := zero.backoff(3); d != 0 {
		t.Errorf("full jitter may wait 0, got %v", d)
	}
}

// A permanent error fails at once, and Describe gives Google's reason and message.
func TestPermanentErrorNotRetried(t *testing.T) {
	srv := scripted(t, step{403, nil, errForbiddenFile})
	re := newRetryEnv(t, srv.URL, nil)
	_, err := re.drive(t).Files.Get("f1").Do()
	if err == nil || srv.count() != 1 || len(re.waits) != 0 {
		t.Fatalf("err = %v after %d requests and waits %v", err, srv.count(), re.waits)
	}
	want := "Google Drive refused the request (403 insufficientFilePermissions): The user does not have sufficient permissions for this file."
	if got := Describe(err); got != want {
		t.Errorf("Describe = %q\nwant       %q", got, want)
	}
}

// Drive's 403 userRateLimitExceeded is a rate limit: retried.
func TestRateLimit403Retried(t *testing.T) {
	srv := scripted(t, step{403, nil, errRateLimit}, step{200, nil, `{"id":"f1"}`})
	re := newRetryEnv(t, srv.URL, nil)
	if _, err := re.drive(t).Files.Get("f1").Do(); err != nil {
		t.Fatal(err)
	}
	if srv.count() != 2 {
		t.Errorf("requests = %d, want 2", srv.count())
	}
}

// The rule for bodies and methods, through the plain HTTP client.
func TestRetryRule(t *testing.T) {
	cases := []struct {
		name     string
		method   string
		body     func() io.Reader // nil: no body
		wrapBody bool             // hide the body's type so GetBody is not set
		mark     bool
		want     int // requests sent against an always-503 server (MaxAttempts 3)
	}{
		{"GET", http.MethodGet, nil, false, false, 3},
		{"DELETE", http.MethodDelete, nil, false, false, 3},
		{"PUT with GetBody", http.MethodPut, func() io.Reader { return strings.NewReader("x") }, false, false, 3},
		{"PUT without GetBody (small, buffered)", http.MethodPut, func() io.Reader { return strings.NewReader("x") }, true, false, 3},
		{"PUT large streamed", http.MethodPut, func() io.Reader { return strings.NewReader(strings.Repeat("y", maxBuffer+10)) }, true, false, 1},
		{"POST unmarked", http.MethodPost, func() io.Reader { return strings.NewReader("x") }, false, false, 1},
		{"POST marked without GetBody (small, buffered)", http.MethodPost, func() io.Reader { return strings.NewReader("x") }, true, true, 3},
		{"POST marked large streamed", http.MethodPost, func() io.Reader { return strings.NewReader(strings.Repeat("y", maxBuffer+10)) }, true, true, 1},
		{"POST marked with GetBody", http.MethodPost, func() io.Reader { return strings.NewReader("x") }, false, true, 3},
		{"PATCH unmarked", http.MethodPatch, func() io.Reader { return strings.NewReader("x") }, false, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := scripted(t, step{503, nil, errBackend})
			re := newRetryEnv(t, srv.URL, func(o *Options) { o.MaxAttempts = 3 })
			hc, err := re.f.HTTPClient(context.Background(), alice)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tc.mark {
				ctx = MarkIdempotent(ctx)
			}
			var body io.Reader
			if tc.body != nil {
				body = tc.body()
				if tc.wrapBody {
					body = io.NopCloser(body)
				}
			}
			req, _ := http.NewRequestWithContext(ctx, tc.method, srv.URL+"/drive/v3/files/f1", body)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 503 || srv.count() != tc.want {
				t.Errorf("status %d after %d requests, want 503 after %d", resp.StatusCode, srv.count(), tc.want)
			}
			if tc.body != nil {
				want, _ := io.ReadAll(tc.body())
				if srv.last().Body != string(want) {
					t.Errorf("last body has %d bytes, want %d", len(srv.last().Body), len(want))
				}
			}
		})
	}
}

// A generated POST (files.create, with a rebuildable JSON body) is sent once unless the
// call is marked idempotent.
func TestGeneratedPostRetriedOnlyWhenMarked(t *testing.T) {
	for _, mark := range []bool{false, true} {
		srv := scripted(t, step{503, nil, errBackend}, step{200, nil, `{"id":"new"}`})
		re := newRetryEnv(t, srv.URL, nil)
		ctx := context.Background()
		if mark {
			ctx = MarkIdempotent(ctx)
		}
		_, err := re.drive(t).Files.Create(&drive.File{Name: "a"}).Context(ctx).Do()
		if mark && (err != nil || srv.count() != 2) {
			t.Errorf("marked: err = %v after %d requests", err, srv.count())
		}
		if !mark {
			var ge *googleapi.Error
			if !errors.As(err, &ge) || ge.Code != 503 || srv.count() != 1 {
				t.Errorf("unmarked: err = %v after %d requests", err, srv.count())
			}
			if d := Describe(err); !strings.Contains(d, "Google Drive could not complete the request (503 UNAVAILABLE)") {
				t.Errorf("Describe = %q", d)
			}
		}
	}
}

// The per-call budget: no wait may end after RetryDeadline.
func TestRetryDeadline(t *testing.T) {
	srv := scripted(t, step{503, map[string]string{"Retry-After": "10"}, errBackend})
	re := newRetryEnv(t, srv.URL, func(o *Options) { o.RetryDeadline = 30 * time.Second; o.MaxAttempts = 10 })
	_, err := re.drive(t).Files.Get("f1").Do()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != 503 {
		t.Fatalf("err = %v, want Google's 503", err)
	}
	if want := []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second}; !slices.Equal(re.waits, want) || srv.count() != 4 {
		t.Errorf("waits %v, %d requests; want %v and 4", re.waits, srv.count(), want)
	}

	// A Retry-After beyond the budget is not waited for at all.
	srv2 := scripted(t, step{429, map[string]string{"Retry-After": "3600"}, `{"error":{"code":429,"message":"Quota"}}`})
	re2 := newRetryEnv(t, srv2.URL, nil)
	if _, err := re2.drive(t).Files.Get("f1").Do(); err == nil || srv2.count() != 1 || len(re2.waits) != 0 {
		t.Errorf("err = %v, %d requests, waits %v", err, srv2.count(), re2.waits)
	}
}

// Never sleep past the context's deadline, with the real clock and sleep.
func TestRetryHonoursContextDeadline(t *testing.T) {
	srv := scripted(t, step{503, map[string]string{"Retry-After": "5"}, errBackend})
	f, err := New(Options{Credentials: memStore(t, validCred(alice, "ya29.valid")), Refresher: noRefresh{t},
		BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Drive(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err = d.Files.Get("f1").Context(ctx).Do()
	if err == nil || srv.count() != 1 {
		t.Fatalf("err = %v after %d requests", err, srv.count())
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("waited %v for a retry that could not fit the deadline", el)
	}
	// A sleep cut short by cancellation ends the call with the context's error.
	srv2 := scripted(t, step{503, map[string]string{"Retry-After": "1"}, errBackend})
	f2, _ := New(Options{Credentials: memStore(t, validCred(alice, "ya29.valid")), Refresher: noRefresh{t}, BaseURL: srv2.URL})
	d2, _ := f2.Drive(context.Background(), alice)
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel2)
	if _, err := d2.Files.Get("f1").Context(ctx2).Do(); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// Connection failures are retried for idempotent requests.
func TestRetryConnectionReset(t *testing.T) {
	var n atomic.Int64
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
			return
		}
		io.WriteString(w, `{"id":"f1"}`)
	})
	re := newRetryEnv(t, srv.URL, nil)
	if _, err := re.drive(t).Files.Get("f1").Do(); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Errorf("requests = %d, want 2", n.Load())
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0, true},
	}
	for _, tc := range cases {
		got, ok := retryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
