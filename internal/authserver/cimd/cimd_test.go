package cimd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestCheckAddr(t *testing.T) {
	for _, a := range []string{
		"127.0.0.1", "127.1.2.3", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
		"100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3", "255.255.255.255", "224.0.0.1", "239.1.1.1",
		"192.0.2.1", "198.18.0.1", "198.51.100.7", "203.0.113.9", "240.0.0.1", "192.0.0.8",
		"::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"::ffff:169.254.169.254", "64:ff9b::7f00:1", "2002:7f00:1::1", "2001:db8::1", "2001::1", "fec0::1",
		"fe80::1%eth0",
	} {
		if err := CheckAddr(netip.MustParseAddr(a)); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s allowed", a)
		}
	}
	for _, a := range []string{"8.8.8.8", "1.1.1.1", "142.250.74.78", "2001:4860:4860::8888", "2606:4700:4700::1111", "::ffff:8.8.8.8"} {
		if err := CheckAddr(netip.MustParseAddr(a)); err != nil {
			t.Errorf("%s refused: %v", a, err)
		}
	}
	if err := CheckAddr(netip.Addr{}); err == nil {
		t.Error("invalid address allowed")
	}
}

func TestCheckURL(t *testing.T) {
	for _, u := range []string{
		"http://example.com/client.json", "https://example.com", "https://example.com/", "https://user@example.com/c",
		"https://example.com/c#frag", "https://example.com/a/../c", "https://example.com/./c", "ftp://example.com/c",
		"https:///c", "https://example.com/c d", "https://example.com\\@evil/c", "HTTPS://example.com/c",
		"https://example.com/" + strings.Repeat("a", 2100), "",
	} {
		if CheckURL(u) == nil {
			t.Errorf("%q accepted", u)
		}
	}
	for _, u := range []string{"https://example.com/client.json", "https://app.example.com/oauth/client-metadata.json?v=2"} {
		if err := CheckURL(u); err != nil {
			t.Errorf("%q refused", u)
		}
	}
}

func TestCacheTTL(t *testing.T) {
	for _, c := range []struct {
		h    []string
		want time.Duration
	}{
		{nil, MinCacheTTL},
		{[]string{"max-age=60"}, MinCacheTTL},
		{[]string{"public, max-age=3600"}, time.Hour},
		{[]string{"max-age=999999999"}, MaxCacheTTL},
		{[]string{"no-store"}, MinCacheTTL},
		{[]string{"max-age=3600, no-cache"}, MinCacheTTL},
		{[]string{"max-age=-5"}, MinCacheTTL},
		{[]string{"max-age=abc"}, MinCacheTTL},
	} {
		if got := cacheTTL(c.h); got != c.want {
			t.Errorf("%v: %v, want %v", c.h, got, c.want)
		}
	}
}

// docServer serves handler over TLS on loopback.
func docServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestFetch(t *testing.T) {
	var body func(url string) string
	var header func(w http.ResponseWriter)
	srv := docServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if header != nil {
			header(w)
		}
		fmt.Fprint(w, body("https://"+r.Host+r.URL.Path))
	})
	id := srv.URL + "/client.json"
	f := New(Options{Client: srv.Client()})
	ctx := context.Background()

	body = func(u string) string {
		return `{"client_id":"` + u + `","client_name":"Doc","redirect_uris":["https://app.example/cb"],"unknown":1}`
	}
	header = func(w http.ResponseWriter) { w.Header().Set("Cache-Control", "max-age=7200") }
	doc, ttl, err := f.Fetch(ctx, id)
	if err != nil || doc.ClientName != "Doc" || ttl != 2*time.Hour {
		t.Fatalf("fetch: %+v %v %v", doc, ttl, err)
	}
	header = nil

	cases := []struct {
		name string
		body func(string) string
		want error
	}{
		{"mismatched client_id", func(string) string {
			return `{"client_id":"https://evil.example/client.json","redirect_uris":["https://a/cb"]}`
		}, ErrInvalidDocument},
		{"client_id with trailing slash", func(u string) string { return `{"client_id":"` + u + `/","redirect_uris":["https://a/cb"]}` }, ErrInvalidDocument},
		{"secret", func(u string) string {
			return `{"client_id":"` + u + `","client_secret":"s","redirect_uris":["https://a/cb"]}`
		}, ErrInvalidDocument},
		{"not JSON", func(string) string { return `<html>` }, ErrInvalidDocument},
		{"array", func(string) string { return `[]` }, ErrInvalidDocument},
		{"oversized", func(u string) string {
			return `{"client_id":"` + u + `","client_name":"` + strings.Repeat("x", 70<<10) + `"}`
		}, ErrTooLarge},
	}
	for _, c := range cases {
		body = c.body
		if _, _, err := f.Fetch(ctx, id); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, _, err := f.Fetch(ctx, strings.Replace(id, "https://", "http://", 1)); !errors.Is(err, ErrInvalidURL) {
		t.Errorf("http URL: %v", err)
	}
}

func TestFetchStatusTypeAndTimeout(t *testing.T) {
	srv := docServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			http.NotFound(w, r)
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `{}`)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		case "/redirect":
			http.Redirect(w, r, "https://169.254.169.254/latest", http.StatusFound)
		}
	})
	f := New(Options{Client: srv.Client(), Timeout: 100 * time.Millisecond})
	ctx := context.Background()
	for path, want := range map[string]error{"/missing": ErrFetch, "/html": ErrInvalidDocument, "/slow": ErrFetch} {
		if _, _, err := f.Fetch(ctx, srv.URL+path); !errors.Is(err, want) {
			t.Errorf("%s: %v", path, err)
		}
	}
	// The safe client never follows redirects.
	if err := SafeClient(time.Second).CheckRedirect(nil, nil); err == nil {
		t.Error("SafeClient follows redirects")
	}
}

func TestSafeClientRefusesPrivateAddresses(t *testing.T) {
	srv := docServer(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("the safe client reached a loopback server")
	})
	f := New(Options{}) // the SSRF-safe default
	ctx := context.Background()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, u := range []string{
		srv.URL + "/client.json",
		"https://localhost" + port + "/client.json",
		"https://[::1]" + port + "/client.json",
		"https://[::ffff:127.0.0.1]" + port + "/client.json",
		"https://169.254.169.254/latest/meta-data",
		"https://10.0.0.1/client.json",
	} {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, _, err := f.Fetch(ctx, u)
		cancel()
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: %v, want ErrForbiddenAddress", u, err)
		}
	}
}
