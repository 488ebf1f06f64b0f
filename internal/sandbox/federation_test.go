package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestFederatedTokens: with a trusted userinfo endpoint, a token that endpoint vouches for
// reaches the Workspace APIs as that sandbox account; anything else stays refused.
func TestFederatedTokens(t *testing.T) {
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "Bearer good":
			_ = json.NewEncoder(w).Encode(map[string]string{"email": "bob@sandbox.example"})
		case "Bearer stranger":
			_ = json.NewEncoder(w).Encode(map[string]string{"email": "mallory@evil.example"})
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer idp.Close()
	sb, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	call := func(tok string) int {
		r := httptest.NewRequest(http.MethodGet, "/drive/v3/about?fields=user", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		sb.Handler().ServeHTTP(w, r)
		return w.Code
	}
	if c := call("good"); c != http.StatusUnauthorized {
		t.Fatalf("before trusting: %d", c)
	}
	sb.SetTrustedUserinfo(idp.URL)
	for tok, want := range map[string]int{"good": 200, "stranger": 401, "forged": 401} {
		if c := call(tok); c != want {
			t.Errorf("token %q: %d, want %d", tok, c, want)
		}
	}
}
