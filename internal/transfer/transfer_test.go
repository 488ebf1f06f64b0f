package transfer_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/store/memory"
	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/transfer"
)

var _ tools.Transfers = (*transfer.Service)(nil)

var (
	alice = identity.Principal{Subject: "sub-alice", Email: "alice@sandbox.example", Kind: identity.KindOAuth}
	bob   = identity.Principal{Subject: "sub-bob", Email: "bob@sandbox.example", Kind: identity.KindOAuth}
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	svc   *transfer.Service
	srv   *httptest.Server
	clock *clock
	// calls counts handler invocations; got is the last upload's bytes.
	ttl   time.Duration
	calls atomic.Int32
	mu    sync.Mutex
	got   []byte
}

// principalHeader stands in for the lead's authentication middleware: it puts the named
// principal into the request context.
const principalHeader = "X-Test-Principal"

func newHarness(t *testing.T, opts transfer.Options) *harness {
	t.Helper()
	h := &harness{clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	kv := memory.New(memory.Options{})
	t.Cleanup(func() { kv.Close() })
	opts.KV, opts.Now = kv, h.clock.Now
	h.ttl = cmp.Or(opts.TTL, transfer.DefaultTTL)
	mux := http.NewServeMux()
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get(principalHeader) {
		case "alice":
			r = r.WithContext(identity.WithPrincipal(r.Context(), alice))
		case "bob":
			r = r.WithContext(identity.WithPrincipal(r.Context(), bob))
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	opts.BaseURL = h.srv.URL
	svc, err := transfer.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	svc.Routes(mux)
	svc.HandleUpload("drive-upload", func(ctx context.Context, account string, params map[string]string, body io.Reader, size int64) (any, error) {
		h.calls.Add(1)
		b, err := io.ReadAll(body)
		h.mu.Lock()
		h.got = b
		h.mu.Unlock()
		if err != nil {
			return nil, err
		}
		switch params["fail"] {
		case "status":
			return nil, &transfer.StatusError{Status: http.StatusForbidden, Message: "Google Drive refused: no access to the folder."}
		case "internal":
			return nil, errors.New("dial tcp 10.0.0.1:443: secret internal detail")
		}
		return map[string]any{"account": account, "name": params["name"], "size": size, "read": len(b)}, nil
	})
	svc.HandleDownload("drive-download", func(ctx context.Context, account string, params map[string]string, w http.ResponseWriter) error {
		h.calls.Add(1)
		switch params["fail"] {
		case "before":
			return &transfer.StatusError{Status: http.StatusNotFound, Message: "File not found."}
		case "midway":
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write([]byte("partial"))
			return errors.New("upstream reset")
		}
		if params["type"] != "" {
			w.Header().Set("Content-Type", params["type"])
		}
		_, err := io.WriteString(w, "content of "+params["file"]+" for "+account)
		return err
	})
	h.svc = svc
	return h
}

func (h *harness) upload(t *testing.T, p identity.Principal, params map[string]string) string {
	t.Helper()
	u, exp, err := h.svc.UploadURL(context.Background(), p, p.Email, "drive-upload", params)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(h.clock.Now().Add(h.ttl)) {
		t.Errorf("expires %v, want now+TTL", exp)
	}
	return u
}

func (h *harness) download(t *testing.T, p identity.Principal, params map[string]string) string {
	t.Helper()
	u, _, err := h.svc.DownloadURL(context.Background(), p, p.Email, "drive-download", params)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func do(t *testing.T, method, url string, body io.Reader, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error(), nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "read error: " + err.Error(), resp.Header
	}
	return resp.StatusCode, string(b), resp.Header
}

func TestUploadAndDownload(t *testing.T) {
	h := newHarness(t, transfer.Options{})
	u := h.upload(t, alice, map[string]string{"name": "report.pdf"})
	if !strings.HasPrefix(u, h.srv.URL+"/drive-upload/") || strings.Contains(u, "?") {
		t.Fatalf("upload URL %q", u)
	}
	for _, method := range []string{http.MethodPut, http.MethodPost} {
		u := h.upload(t, alice, map[string]string{"name": "report.pdf"})
		code, body, hdr := do(t, method, u, strings.NewReader("hello upload"), nil)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", method, code, body)
		}
		var res map[string]any
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			t.Fatal(err)
		}
		if res["account"] != alice.Email || res["name"] != "report.pdf" || res["size"] != float64(12) || res["read"] != float64(12) {
			t.Errorf("%s: result %v", method, res)
		}
		if hdr.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", hdr.Get("Cache-Control"))
		}
	}
	// The same principal may present its token with the URL.
	d := h.download(t, alice, map[string]string{"file": "f1"})
	if !strings.HasPrefix(d, h.srv.URL+"/attachment-download/") {
		t.Fatalf("download URL %q", d)
	}
	code, body, hdr := do(t, http.MethodGet, d, nil, map[string]string{principalHeader: "alice", "Authorization": "Bearer verified"})
	if code != http.StatusOK || body != "content of f1 for "+alice.Email {
		t.Fatalf("download: %d %q", code, body)
	}
	for k, want := range map[string]string{"Content-Disposition": "attachment", "Content-Type": "application/octet-stream",
		"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox", "Cache-Control": "no-store"} {
		if hdr.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, hdr.Get(k), want)
		}
	}
	// HTML is still served sandboxed and as an attachment.
	d = h.download(t, alice, map[string]string{"file": "page", "type": "text/html"})
	if _, _, hdr := do(t, http.MethodGet, d, nil, nil); hdr.Get("Content-Disposition") != "attachment" || hdr.Get("Content-Security-Policy") == "" {
		t.Errorf("html download headers %v", hdr)
	}
}

func TestSingleUseAndUnknown(t *testing.T) {
	h := newHarness(t, transfer.Options{})
	u := h.upload(t, alice, nil)
	if code, body, _ := do(t, http.MethodPut, u, strings.NewReader("x"), nil); code != http.StatusOK {
		t.Fatalf("first use: %d %s", code, body)
	}
	d := h.download(t, alice, nil)
	if code, _, _ := do(t, http.MethodGet, d, nil, nil); code != http.StatusOK {
		t.Fatalf("first download: %d", code)
	}
	calls := h.calls.Load()
	up := u[strings.LastIndex(u, "/")+1:]
	down := d[strings.LastIndex(d, "/")+1:]
	fresh := h.upload(t, alice, nil)
	freshID := fresh[strings.LastIndex(fresh, "/")+1:]
	tests := []struct {
		name, method, url string
		want              int
	}{
		{"replayed upload", http.MethodPut, u, http.StatusNotFound},
		{"replayed download", http.MethodGet, d, http.StatusNotFound},
		{"unknown id", http.MethodPut, h.srv.URL + "/drive-upload/" + strings.Repeat("A", 43), http.StatusNotFound},
		{"malformed id", http.MethodPut, h.srv.URL + "/drive-upload/..%2f..%2fetc", http.StatusNotFound},
		{"short id", http.MethodGet, h.srv.URL + "/attachment-download/abc", http.StatusNotFound},
		{"upload ticket on the download path", http.MethodGet, h.srv.URL + "/attachment-download/" + freshID, http.StatusNotFound},
		{"upload id replayed on download", http.MethodGet, h.srv.URL + "/attachment-download/" + up, http.StatusNotFound},
		{"download id on upload", http.MethodPut, h.srv.URL + "/drive-upload/" + down, http.StatusNotFound},
		{"wrong method", http.MethodDelete, fresh, http.StatusMethodNotAllowed},
		{"HEAD does not consume", http.MethodHead, h.download(t, alice, nil), http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := do(t, tc.method, tc.url, strings.NewReader("again"), nil)
			if code != tc.want {
				t.Errorf("%d %s, want %d", code, body, tc.want)
			}
		})
	}
	if h.calls.Load() != calls {
		t.Errorf("a refused request reached a handler")
	}
	// The fresh upload ticket survived being presented on the wrong path.
	if code, body, _ := do(t, http.MethodPut, fresh, strings.NewReader("x"), nil); code != http.StatusOK {
		t.Errorf("fresh ticket after refusals: %d %s", code, body)
	}
}

func TestExpired(t *testing.T) {
	h := newHarness(t, transfer.Options{TTL: time.Minute})
	u := h.upload(t, alice, nil)
	d := h.download(t, alice, nil)
	h.clock.Add(time.Minute)
	for _, c := range []struct{ method, url string }{{http.MethodPut, u}, {http.MethodGet, d}} {
		code, body, _ := do(t, c.method, c.url, strings.NewReader("x"), nil)
		if code != http.StatusGone || !strings.Contains(body, "expired") {
			t.Errorf("%s expired: %d %s", c.method, code, body)
		}
		// Once told, the ticket is gone.
		if code, _, _ := do(t, c.method, c.url, strings.NewReader("x"), nil); code != http.StatusNotFound {
			t.Errorf("%s after expiry: %d", c.method, code)
		}
	}
	if h.calls.Load() != 0 {
		t.Error("an expired ticket reached a handler")
	}
}

func TestPrincipalBinding(t *testing.T) {
	h := newHarness(t, transfer.Options{})
	u := h.upload(t, alice, nil)
	d := h.download(t, alice, nil)
	tests := []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"foreign principal", map[string]string{principalHeader: "bob", "Authorization": "Bearer bob"}, http.StatusForbidden},
		{"unverified bearer", map[string]string{"Authorization": "Bearer forged"}, http.StatusForbidden},
		{"owner", map[string]string{principalHeader: "alice", "Authorization": "Bearer alice"}, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Refusals leave the ticket usable by its owner: the loop ends with the owner.
			if code, body, _ := do(t, http.MethodPut, u, strings.NewReader("x"), tc.hdr); code != tc.want {
				t.Errorf("upload: %d %s, want %d", code, body, tc.want)
			}
			if code, body, _ := do(t, http.MethodGet, d, nil, tc.hdr); code != tc.want {
				t.Errorf("download: %d %s, want %d", code, body, tc.want)
			}
		})
	}
	if got := h.calls.Load(); got != 2 {
		t.Errorf("handlers ran %d times, want 2 (the owner's requests only)", got)
	}
	// Without any credential the URL alone is the capability.
	if code, _, _ := do(t, http.MethodPut, h.upload(t, alice, nil), strings.NewReader("x"), nil); code != http.StatusOK {
		t.Errorf("bare URL: %d", code)
	}
}

// chunked hides the length of a body so that the client sends it chunked.
type chunked struct{ io.Reader }

func TestOversize(t *testing.T) {
	const max = 64 << 10
	h := newHarness(t, transfer.Options{MaxBytes: max})
	big := bytes.Repeat([]byte("z"), max+1)

	u := h.upload(t, alice, nil)
	code, body, _ := do(t, http.MethodPut, u, bytes.NewReader(big), nil)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("declared oversize: %d %s", code, body)
	}
	if h.calls.Load() != 0 {
		t.Fatal("the handler ran for a body declared over the cap")
	}
	// The refusal did not burn the ticket: a body within the cap still goes through.
	if code, body, _ := do(t, http.MethodPut, u, bytes.NewReader(big[:max]), nil); code != http.StatusOK {
		t.Fatalf("at the cap: %d %s", code, body)
	}

	u = h.upload(t, alice, nil)
	code, body, _ = do(t, http.MethodPut, u, chunked{bytes.NewReader(append(big, big...))}, nil)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked oversize: %d %s", code, body)
	}
	h.mu.Lock()
	got := len(h.got)
	h.mu.Unlock()
	if got > max {
		t.Errorf("handler read %d bytes, beyond the cap of %d", got, max)
	}
}

func TestHandlerErrors(t *testing.T) {
	h := newHarness(t, transfer.Options{})
	code, body, _ := do(t, http.MethodPut, h.upload(t, alice, map[string]string{"fail": "status"}), strings.NewReader("x"), nil)
	if code != http.StatusForbidden || !strings.Contains(body, "no access to the folder") {
		t.Errorf("status error: %d %s", code, body)
	}
	code, body, _ = do(t, http.MethodPut, h.upload(t, alice, map[string]string{"fail": "internal"}), strings.NewReader("x"), nil)
	if code != http.StatusBadGateway || strings.Contains(body, "secret") || strings.Contains(body, "10.0.0.1") {
		t.Errorf("internal error: %d %s", code, body)
	}
	code, body, hdr := do(t, http.MethodGet, h.download(t, alice, map[string]string{"fail": "before"}), nil, nil)
	if code != http.StatusNotFound || !strings.Contains(body, "File not found") || hdr.Get("Content-Disposition") != "" {
		t.Errorf("download error before content: %d %s %v", code, body, hdr)
	}
	// A failure after content went out breaks the connection instead of ending cleanly.
	code, body, _ = do(t, http.MethodGet, h.download(t, alice, map[string]string{"fail": "midway"}), nil, nil)
	if code == http.StatusOK && !strings.HasPrefix(body, "read error") {
		t.Errorf("midway failure looked complete: %d %q", code, body)
	}
}

func TestMintErrors(t *testing.T) {
	h := newHarness(t, transfer.Options{})
	if _, _, err := h.svc.UploadURL(context.Background(), alice, alice.Email, "nope", nil); !errors.Is(err, transfer.ErrUnknownKind) {
		t.Errorf("unknown upload kind: %v", err)
	}
	if _, _, err := h.svc.DownloadURL(context.Background(), alice, alice.Email, "nope", nil); !errors.Is(err, transfer.ErrUnknownKind) {
		t.Errorf("unknown download kind: %v", err)
	}
	svc, err := transfer.New(transfer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc.HandleUpload("k", func(context.Context, string, map[string]string, io.Reader, int64) (any, error) { return nil, nil })
	if _, _, err := svc.UploadURL(context.Background(), alice, alice.Email, "k", nil); !errors.Is(err, transfer.ErrNoURLs) {
		t.Errorf("no base URL: %v", err)
	}
	for _, o := range []transfer.Options{{BaseURL: "ftp://x"}, {BaseURL: "not a url"}, {UploadPath: "x/"}, {UploadPath: "/a/", DownloadPath: "/a/"}} {
		if _, err := transfer.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	if _, _, err := h.svc.UploadURL(context.Background(), alice, alice.Email, "drive-upload", nil); err != nil {
		t.Fatal(err)
	}
	failing := transfer.Options{BaseURL: "http://x", KV: memory.New(memory.Options{}), Rand: strings.NewReader("short")}
	svc, _ = transfer.New(failing)
	svc.HandleUpload("k", func(context.Context, string, map[string]string, io.Reader, int64) (any, error) { return nil, nil })
	if _, _, err := svc.UploadURL(context.Background(), alice, alice.Email, "k", nil); err == nil {
		t.Error("a failing random source still minted a URL")
	}
}

func TestConcurrentSingleUse(t *testing.T) {
	h := newHarness(t, transfer.Options{})
	for _, dir := range []string{"upload", "download"} {
		var u, method string
		if dir == "upload" {
			u, method = h.upload(t, alice, nil), http.MethodPut
		} else {
			u, method = h.download(t, alice, nil), http.MethodGet
		}
		var ok, notFound atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 20 {
			wg.Go(func() {
				<-start
				code, _, _ := do(t, method, u, strings.NewReader("race"), nil)
				switch code {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusNotFound:
					notFound.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if ok.Load() != 1 || notFound.Load() != 19 {
			t.Errorf("%s: %d succeeded and %d got 404, want 1 and 19", dir, ok.Load(), notFound.Load())
		}
	}
}

// TestTimeoutsExtended: a server whose read and write timeouts are shorter than a transfer
// still completes it, because the transfer routes move the connection's deadlines.
func TestTimeoutsExtended(t *testing.T) {
	kv := memory.New(memory.Options{})
	defer kv.Close()
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	srv.Start()
	defer srv.Close()
	svc, err := transfer.New(transfer.Options{BaseURL: srv.URL, KV: kv})
	if err != nil {
		t.Fatal(err)
	}
	svc.Routes(mux)
	svc.HandleUpload("slow", func(_ context.Context, _ string, _ map[string]string, body io.Reader, _ int64) (any, error) {
		n, err := io.Copy(io.Discard, body)
		return map[string]int64{"n": n}, err
	})
	svc.HandleDownload("slow", func(_ context.Context, _ string, _ map[string]string, w http.ResponseWriter) error {
		for range 6 {
			if _, err := w.Write([]byte("tick ")); err != nil {
				return err
			}
			http.NewResponseController(w).Flush()
			time.Sleep(100 * time.Millisecond)
		}
		return nil
	})
	u, _, _ := svc.UploadURL(context.Background(), alice, alice.Email, "slow", nil)
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("tock "))
		for range 5 {
			time.Sleep(100 * time.Millisecond)
			pw.Write([]byte("tock "))
		}
		pw.Close()
	}()
	if code, body, _ := do(t, http.MethodPut, u, chunked{pr}, nil); code != http.StatusOK || !strings.Contains(body, `"n":30`) {
		t.Errorf("slow upload: %d %s", code, body)
	}
	d, _, _ := svc.DownloadURL(context.Background(), alice, alice.Email, "slow", nil)
	if code, body, _ := do(t, http.MethodGet, d, nil, nil); code != http.StatusOK || body != strings.Repeat("tick ", 6) {
		t.Errorf("slow download: %d %q", code, body)
	}
}
