package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/secret"
	"github.com/gwmcp/gwmcp/internal/store/memory"
	"github.com/gwmcp/gwmcp/internal/upstream"
)

type linkEnv struct {
	sb     *sandbox.Sandbox
	linker *Linker
	dir    *Directory
	creds  *credentials.Store
	gwmcp  *httptest.Server
}

var testKey *rsa.PrivateKey

func rsaKey(t *testing.T) *rsa.PrivateKey {
	if testKey == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		testKey = k
	}
	return testKey
}

func newLinkEnv(t *testing.T, autoApprove string) *linkEnv {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{SigningKey: rsaKey(t), AutoApprove: autoApprove})
	if err != nil {
		t.Fatal(err)
	}
	sbSrv := httptest.NewServer(sb.Handler())
	t.Cleanup(sbSrv.Close)
	sb.SetIssuer(sbSrv.URL)

	e := &linkEnv{sb: sb}
	mux := http.NewServeMux()
	e.gwmcp = httptest.NewServer(mux)
	t.Cleanup(e.gwmcp.Close)
	callback := e.gwmcp.URL + "/oauth2callback"
	if err := sb.AddClient(sandbox.Client{ID: "gw", Secret: secret.New("s"), RedirectURIs: []string{callback}, Desktop: true}); err != nil {
		t.Fatal(err)
	}
	up, err := upstream.New(upstream.Config{Issuer: sbSrv.URL, ClientID: "gw", ClientSecret: secret.New("s"), RedirectURL: callback})
	if err != nil {
		t.Fatal(err)
	}
	kv := memory.New(memory.Options{})
	t.Cleanup(func() { kv.Close() })
	e.creds, _ = credentials.Open(credentials.Options{Mode: credentials.MemoryOnly})
	e.dir = NewDirectory(kv, nil)
	e.linker = NewLinker(LinkerOptions{KV: kv, Credentials: e.creds, Directory: e.dir, Upstream: up, Scopes: scopes.New(scopes.Options{}),
		BaseURL: e.gwmcp.URL, CallbackURL: callback, ClientID: "gw"})
	e.linker.Routes(mux)
	mux.HandleFunc("GET /oauth2callback", e.linker.HandleCallback)
	return e
}

func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// openAndApprove plays the person: open the link page, keep the preselected services plus
// extra ones, press a button. It returns the final page.
func openAndApprove(t *testing.T, c *http.Client, link, action string, services ...string) (int, string) {
	t.Helper()
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(body)
	if m == nil {
		return resp.StatusCode, string(body)
	}
	form := url.Values{"csrf": {string(m[1])}, "action": {action}, "service": services}
	resp, err = c.PostForm(link, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHTTPLinkFlow(t *testing.T) {
	e := newLinkEnv(t, "bob@sandbox.example")
	ctx := context.Background()
	alice := Principal{Subject: "alice-sub", Email: "alice@sandbox.example", Kind: KindOAuth}
	link, err := e.linker.URL(ctx, alice, "someone.else@example.com", []string{"https://www.googleapis.com/auth/drive.readonly"})
	if err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	status, page := openAndApprove(t, c, link, "approve", "drive", "calendar")
	if status != 200 || !strings.Contains(page, "bob@sandbox.example is now connected") {
		t.Fatalf("link flow: %d %s", status, page)
	}
	// The account Google signed in (bob) is linked, not the hinted address, and only to alice.
	l, ok, _ := e.dir.Lookup(ctx, alice.Subject, "bob@sandbox.example")
	if !ok || l.Primary {
		t.Fatalf("link = %+v %v", l, ok)
	}
	if _, ok, _ := e.dir.Lookup(ctx, alice.Subject, "someone.else@example.com"); ok {
		t.Fatal("the hinted account was linked")
	}
	cred, err := e.creds.Get(ctx, "bob@sandbox.example")
	if err != nil || cred.RefreshToken.IsZero() || !strings.Contains(strings.Join(cred.Scopes, " "), "calendar") || !strings.Contains(strings.Join(cred.Scopes, " "), "drive") {
		t.Fatalf("credential = %+v %v", cred, err)
	}
	// The ticket is single use.
	status, page = openAndApprove(t, c, link, "approve", "drive")
	if status != http.StatusNotFound {
		t.Errorf("reused link: %d %s", status, page)
	}
}

func TestHTTPLinkRefusals(t *testing.T) {
	ctx := context.Background()
	alice := Principal{Subject: "alice-sub", Email: "alice@sandbox.example", Kind: KindOAuth}
	t.Run("cancel", func(t *testing.T) {
		e := newLinkEnv(t, "bob@sandbox.example")
		link, _ := e.linker.URL(ctx, alice, "", nil)
		status, page := openAndApprove(t, browser(t), link, "cancel")
		if status != 200 || !strings.Contains(page, "Cancelled") {
			t.Fatalf("%d %s", status, page)
		}
		if links, _ := e.dir.Links(ctx, alice.Subject); len(links) != 0 {
			t.Fatal("cancel linked an account")
		}
	})
	t.Run("csrf from another browser", func(t *testing.T) {
		e := newLinkEnv(t, "bob@sandbox.example")
		link, _ := e.linker.URL(ctx, alice, "", nil)
		resp, _ := browser(t).Get(link) // the victim's page
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		csrf := csrfRe.FindSubmatch(body)[1]
		attacker := browser(t)
		resp, err := attacker.PostForm(link, url.Values{"csrf": {string(csrf)}, "action": {"approve"}, "service": {"drive"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("approval without the page's cookie: %d", resp.StatusCode)
		}
	})
	t.Run("callback in another browser", func(t *testing.T) {
		e := newLinkEnv(t, "bob@sandbox.example")
		link, _ := e.linker.URL(ctx, alice, "", nil)
		victim := browser(t)
		victim.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), e.gwmcp.URL+"/oauth2callback") {
				return http.ErrUseLastResponse
			}
			return nil
		}
		resp, _ := victim.Get(link)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		csrf := csrfRe.FindSubmatch(body)[1]
		resp, err := victim.PostForm(link, url.Values{"csrf": {string(csrf)}, "action": {"approve"}, "service": {"drive"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		callback := resp.Header.Get("Location")
		if !strings.Contains(callback, "code=") {
			t.Fatalf("no callback URL: %d %q", resp.StatusCode, callback)
		}
		// Another browser (no binding cookie) brings the callback: refused.
		resp, err = browser(t).Get(callback)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("callback without the binding cookie: %d", resp.StatusCode)
		}
		if links, _ := e.dir.Links(ctx, alice.Subject); len(links) != 0 {
			t.Fatal("account linked from another browser")
		}
		// The state is spent: the right browser cannot replay it either.
		resp, _ = victim.Get(callback)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("replayed state: %d", resp.StatusCode)
		}
	})
	t.Run("forged state", func(t *testing.T) {
		e := newLinkEnv(t, "bob@sandbox.example")
		resp, _ := browser(t).Get(e.gwmcp.URL + "/oauth2callback?state=lk_forged&code=x")
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("forged state: %d", resp.StatusCode)
		}
	})
}

func TestLocalFlow(t *testing.T) {
	ctx := context.Background()
	local := Principal{Subject: "local:me", Kind: KindLocal}
	t.Run("loopback listener", func(t *testing.T) {
		e := newLinkEnv(t, "alice@sandbox.example")
		f, err := e.linker.StartLocal(ctx, local, "", []string{"https://www.googleapis.com/auth/gmail.readonly"}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := browser(t).Get(f.URL) // the sandbox approves and sends the browser to the listener
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		link, err := f.Wait(ctx)
		if err != nil || link.Email != "alice@sandbox.example" {
			t.Fatalf("local flow: %+v %v", link, err)
		}
		if _, err := e.creds.Get(ctx, "alice@sandbox.example"); err != nil {
			t.Fatal(err)
		}
		if _, err := http.Get("http://" + f.ln.Addr().String() + "/oauth2callback"); err == nil {
			t.Error("the loopback listener is still open after the flow")
		}
	})
	t.Run("paste the address", func(t *testing.T) {
		e := newLinkEnv(t, "carol@sandbox.example")
		f, err := e.linker.StartLocal(ctx, local, "", []string{"https://www.googleapis.com/auth/gmail.readonly"}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(f.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if _, err := f.Paste(ctx, "http://127.0.0.1:1/oauth2callback?state=lk_other&code=x"); !errors.Is(err, ErrLinkRefused) {
			t.Fatalf("pasting another flow's address: %v", err)
		}
		link, err := f.Paste(ctx, resp.Header.Get("Location"))
		if err != nil || link.Email != "carol@sandbox.example" {
			t.Fatalf("paste: %+v %v", link, err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		e := newLinkEnv(t, "")
		f, err := e.linker.StartLocal(ctx, local, "", nil, 50*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Wait(ctx); !errors.Is(err, ErrLinkTimeout) {
			t.Fatalf("timeout: %v", err)
		}
	})
}
