package authserver

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestDiscoveryDocuments(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, path := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"} {
		req, _ := http.NewRequest(http.MethodGet, e.base+path, nil)
		req.Host = "evil.example" // documents come from configuration, never from Host
		resp, body := e.do(req)
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, resp.Header)
		}
		m := decode(t, body)
		if m["resource"] != e.base+"/mcp" {
			t.Fatalf("%s: resource %v", path, m["resource"])
		}
		if as := m["authorization_servers"].([]any); len(as) != 1 || as[0] != e.base {
			t.Fatalf("authorization_servers %v", as)
		}
		if bm := m["bearer_methods_supported"].([]any); len(bm) != 1 || bm[0] != "header" {
			t.Fatalf("bearer_methods_supported %v", bm)
		}
		if sc := m["scopes_supported"].([]any); !slices.Contains(sc, any(scopeDrive)) || strings.Contains(string(body), "evil") {
			t.Fatalf("scopes_supported %v", sc)
		}
	}
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration",
		"/.well-known/openid-configuration/mcp", "/.well-known/oauth-authorization-server/mcp"} {
		req, _ := http.NewRequest(http.MethodGet, e.base+path, nil)
		req.Host = "evil.example"
		resp, body := e.do(req)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		m := decode(t, body)
		want := map[string]any{
			"issuer": e.base, "authorization_endpoint": e.base + "/oauth/authorize", "token_endpoint": e.base + "/oauth/token",
			"registration_endpoint": e.base + "/oauth/register", "revocation_endpoint": e.base + "/oauth/revoke",
			"jwks_uri": e.base + "/.well-known/jwks.json", "authorization_response_iss_parameter_supported": true,
			"client_id_metadata_document_supported": true,
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s: %s = %v, want %v", path, k, m[k], v)
			}
		}
		lists := map[string][]any{
			"response_types_supported":                   {"code"},
			"grant_types_supported":                      {"authorization_code", "refresh_token"},
			"token_endpoint_auth_methods_supported":      {"none", "client_secret_basic", "client_secret_post"},
			"revocation_endpoint_auth_methods_supported": {"none", "client_secret_basic", "client_secret_post"},
			"code_challenge_methods_supported":           {"S256"},
		}
		for k, v := range lists {
			if got, _ := m[k].([]any); !slices.Equal(got, v) {
				t.Errorf("%s: %s = %v, want %v", path, k, got, v)
			}
		}
		if sc, _ := m["scopes_supported"].([]any); !slices.Contains(sc, any(scopeGmailRO)) {
			t.Errorf("scopes_supported lacks gmail")
		}
	}
}

func TestJWKSPublicOnly(t *testing.T) {
	e := newEnv(t, envOptions{})
	req, _ := http.NewRequest(http.MethodGet, e.base+"/.well-known/jwks.json", nil)
	resp, body := e.do(req)
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	m := decode(t, body)
	keys := m["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("keys %v", keys)
	}
	k := keys[0].(map[string]any)
	if k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["kid"] == "" || k["use"] != "sig" {
		t.Fatalf("key %v", k)
	}
	if _, ok := k["d"]; ok {
		t.Fatal("JWKS contains a private key")
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server",
		"/oauth/token", "/oauth/register", "/register", "/oauth/revoke", "/.well-known/jwks.json"} {
		req, _ := http.NewRequest(http.MethodOptions, e.base+path, nil)
		req.Header.Set("Origin", "http://localhost:6274")
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, _ := e.do(req)
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
			resp.Header.Get("Access-Control-Allow-Credentials") != "" ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("%s preflight: %d %v", path, resp.StatusCode, resp.Header)
		}
	}
	// The actual responses carry the header too, errors included.
	resp, _ := e.postForm("/oauth/token", nil, nil)
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("token error response lacks CORS")
	}
	// The consent page is not a CORS resource.
	req, _ := http.NewRequest(http.MethodGet, e.base+"/oauth/authorize", nil)
	resp, _ = e.do(req)
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("authorize allows CORS")
	}
}
