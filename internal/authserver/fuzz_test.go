package authserver

import (
	"net/url"
	"strings"
	"testing"
)

const fuzzOrigin = "https://gwmcp.example.com"

func FuzzValidateRedirectURI(f *testing.F) {
	for _, s := range []string{
		"https://example.com/cb", "http://127.0.0.1:8080/cb", "http://[::1]/cb", "http://localhost/cb?x=1",
		"com.example.app:/cb", "cursor://anysphere/cb", "javascript:alert(1)", "https://a@b/c", "https://x/#",
		"https://gwmcp.example.com/oauth2callback", "https://gwmcp.example.com:443/x", "http://127.0.0.1:0/cb",
		"HTTP://127.0.0.1/cb", "https://exa%2fmple.com/", "data:,x", "https://[fe80::1%25en0]/cb",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		kind, err := validateRedirectURI(raw, fuzzOrigin)
		if err != nil {
			if matchRedirectURI([]string{"http://127.0.0.1/cb", "https://example.com/cb"}, raw, fuzzOrigin) &&
				raw != "http://127.0.0.1/cb" && raw != "https://example.com/cb" {
				t.Fatalf("%q is refused but matches a registered URI", raw)
			}
			return
		}
		if strings.ContainsAny(raw, "#\\ \t\r\n") {
			t.Fatalf("accepted %q with a fragment, backslash or whitespace", raw)
		}
		u, perr := url.Parse(raw)
		if perr != nil || u.User != nil || u.Fragment != "" {
			t.Fatalf("accepted %q: %v", raw, perr)
		}
		switch kind {
		case redirectWeb:
			if u.Scheme != "https" || u.Host == "" {
				t.Fatalf("web URI %q", raw)
			}
		case redirectLoopback:
			if u.Scheme != "http" || !isLoopbackHost(u.Hostname()) {
				t.Fatalf("loopback URI %q", raw)
			}
		case redirectNative:
			if u.Scheme == "http" || u.Scheme == "https" || deniedSchemes[strings.ToLower(u.Scheme)] {
				t.Fatalf("native URI %q", raw)
			}
		}
		if (u.Scheme == "http" || u.Scheme == "https") && sameOrigin(u, fuzzOrigin) {
			t.Fatalf("accepted our own origin %q", raw)
		}
		if !matchRedirectURI([]string{raw}, raw, fuzzOrigin) {
			t.Fatalf("%q does not match itself", raw)
		}
	})
}

func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer a.b.c", "BEARER  x==", "Basic dXNlcg==", "Bearer", "Bearer ",
		"Bearer a b", "Bearer\tabc", "Bearer =", "Bearer a=b", "bearer\u00a0x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, out := parseBearer([]string{h})
		if out != bearerOK {
			if tok != "" {
				t.Fatalf("%q: token %q with outcome %d", h, tok, out)
			}
			return
		}
		if tok == "" || len(tok) > maxTokenLen || !isB64Token(tok) || !strings.HasSuffix(h, tok) ||
			!strings.EqualFold(h[:7], "bearer ") {
			t.Fatalf("%q accepted as %q", h, tok)
		}
		// The SDK middleware RequireBearer delegates to re-reads the header; it must agree.
		fields := strings.Fields(h)
		if len(fields) != 2 || !strings.EqualFold(fields[0], "bearer") || fields[1] != tok {
			t.Fatalf("%q: the SDK would read it differently: %q", h, fields)
		}
		if _, again := parseBearer([]string{h, h}); again != bearerRepeated {
			t.Fatal("two headers accepted")
		}
	})
}
