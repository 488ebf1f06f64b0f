package authserver

import (
	"net/http"
	"testing"
	"time"
)

func TestSigningKeyRotation(t *testing.T) {
	e := newEnv(t, envOptions{mount: echoPrincipal})
	replica := newEnv(t, envOptions{mount: echoPrincipal, shareWith: e, store: e.st})
	if e.srv.keys.Load().currentID != replica.srv.keys.Load().currentID {
		t.Fatal("two instances on one store created different keys")
	}
	c := e.register(nil)
	old := e.login(c)
	oldKid := headerOf(t, old.Access)["kid"]
	if err := e.srv.RotateSigningKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	fresh := e.login(c)
	if headerOf(t, fresh.Access)["kid"] == oldKid {
		t.Fatal("rotation did not change the signing key")
	}
	req, _ := http.NewRequest(http.MethodGet, e.base+"/.well-known/jwks.json", nil)
	_, body := e.do(req)
	if n := len(decode(t, body)["keys"].([]any)); n != 2 {
		t.Fatalf("JWKS has %d keys after rotation, want 2", n)
	}
	e.clk.Advance(1500 * time.Millisecond) // the replica reloads keys at most once a second
	for name, env := range map[string]*env{"rotating instance": e, "replica": replica} {
		for _, tk := range []tokens{old, fresh} {
			if env.mcpStatus(tk.Access) != 200 {
				t.Errorf("%s refuses a token signed before or after rotation", name)
			}
		}
	}
	// Once the old key's tokens have expired it no longer verifies anything.
	e.clk.Advance(time.Hour + 10*time.Minute)
	if _, err := e.srv.publicKeyFor(t, oldKid.(string)); err == nil {
		t.Fatal("a retired key still verifies")
	}
}

func (s *Server) publicKeyFor(t *testing.T, kid string) (any, error) {
	if k, ok := s.publicKey(t.Context(), kid); ok {
		return k, nil
	}
	return nil, errTokenSignature
}
