package authserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// cimdServer serves client metadata documents over TLS on loopback; doc maps a path to
// a function of the document's own URL.
func cimdServer(t *testing.T, docs map[string]func(self string) string, hits *atomic.Int32) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		d, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=3600")
		fmt.Fprint(w, d("https://"+r.Host+r.URL.Path))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestClientIDMetadataDocument(t *testing.T) {
	var hits atomic.Int32
	docs := map[string]func(string) string{
		"/good.json": func(self string) string {
			return `{"client_id":"` + self + `","client_name":"Doc Client","redirect_uris":["` + clientRedirect + `"],
				"grant_types":["authorization_code","refresh_token"],"token_endpoint_auth_method":"none"}`
		},
		"/mismatch.json": func(string) string {
			return `{"client_id":"https://elsewhere.example/client.json","redirect_uris":["` + clientRedirect + `"]}`
		},
		"/big.json": func(self string) string {
			return `{"client_id":"` + self + `","redirect_uris":["` + clientRedirect + `"],"pad":"` + strings.Repeat("x", 70<<10) + `"}`
		},
		"/badredirect.json": func(self string) string {
			return `{"client_id":"` + self + `","redirect_uris":["javascript:alert(1)"]}`
		},
		"/secret.json": func(self string) string {
			return `{"client_id":"` + self + `","redirect_uris":["` + clientRedirect + `"],"token_endpoint_auth_method":"client_secret_post"}`
		},
	}
	docSrv := cimdServer(t, docs, &hits)
	e := newEnv(t, envOptions{mount: echoPrincipal, config: func(c *Config) { c.CIMDClient = docSrv.Client() }})
	id := docSrv.URL + "/good.json"

	b := e.newBrowser()
	v, ch := pkce()
	loc := b.run(e.authURL(id, clientRedirect, ch, nil))
	if len(b.pages) != 1 || !strings.Contains(b.pages[0], "Doc Client") || !strings.Contains(b.pages[0], id) {
		t.Fatal("the consent page does not show the document's client")
	}
	resp, body := e.exchange(registered{ID: id}, e.codeFrom(t, loc), v, nil)
	tk := parseTokens(t, resp, body)
	if e.mcpStatus(tk.Access) != 200 {
		t.Fatal("token of a metadata-document client refused")
	}
	resp, body = e.refresh(registered{ID: id}, tk.Refresh, nil)
	parseTokens(t, resp, body)
	if n := hits.Load(); n != 1 {
		t.Fatalf("document fetched %d times, want 1 (cached)", n)
	}

	for name, path := range map[string]string{
		"client_id mismatch": "/mismatch.json", "oversized": "/big.json", "bad redirect": "/badredirect.json",
		"shared secret": "/secret.json", "missing": "/missing.json",
	} {
		resp, body := e.newBrowser().get(e.authURL(docSrv.URL+path, clientRedirect, ch, nil))
		wantErrorPage(t, resp, body, name)
	}
	// Failures are cached briefly: repeating one does not fetch again.
	n := hits.Load()
	e.newBrowser().get(e.authURL(docSrv.URL+"/mismatch.json", clientRedirect, ch, nil))
	if hits.Load() != n {
		t.Fatal("a refused document was fetched again at once")
	}
	// http client ids are not metadata documents.
	resp2, body2 := e.newBrowser().get(e.authURL(strings.Replace(id, "https://", "http://", 1), clientRedirect, ch, nil))
	wantErrorPage(t, resp2, body2, "http client_id")
}

func TestClientIDMetadataDocumentPrivateAddressRefused(t *testing.T) {
	var hits atomic.Int32
	docSrv := cimdServer(t, map[string]func(string) string{
		"/good.json": func(self string) string {
			return `{"client_id":"` + self + `","redirect_uris":["` + clientRedirect + `"]}`
		},
	}, &hits)
	e := newEnv(t, envOptions{}) // default, SSRF-safe client
	_, ch := pkce()
	for _, id := range []string{docSrv.URL + "/good.json", "https://169.254.169.254/latest/meta-data/x"} {
		resp, body := e.newBrowser().get(e.authURL(id, clientRedirect, ch, nil))
		wantErrorPage(t, resp, body, id)
	}
	if hits.Load() != 0 {
		t.Fatal("the server fetched a document from a loopback address")
	}
	// And at the token endpoint.
	resp, body := e.exchange(registered{ID: docSrv.URL + "/good.json"}, "code", strings.Repeat("a", 43), nil)
	wantOAuthError(t, resp, body, http.StatusUnauthorized, "invalid_client")
}
