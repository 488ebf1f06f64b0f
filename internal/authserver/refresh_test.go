package authserver

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRefreshRotationAndReuse(t *testing.T) {
	e := newEnv(t, envOptions{mount: echoPrincipal})
	c := e.register(nil)
	first := e.login(c)
	resp, body := e.refresh(c, first.Refresh, nil)
	second := parseTokens(t, resp, body)
	if second.Refresh == first.Refresh || second.Refresh == "" || second.Access == first.Access {
		t.Fatal("refresh did not rotate")
	}
	if e.accounts.refreshCount() != 1 {
		t.Fatalf("RefreshUpstream called %d times", e.accounts.refreshCount())
	}
	// Reuse of the rotated token after the grace window revokes the whole family.
	e.clk.Advance(11 * time.Second)
	resp, body = e.refresh(c, first.Refresh, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
	resp, body = e.refresh(c, second.Refresh, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
	for _, at := range []string{first.Access, second.Access} {
		if resp, _ := e.callMCP("Bearer "+at, "{}"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("access token of a revoked family: %d", resp.StatusCode)
		}
	}
	// Another login (another family) is unaffected.
	third := e.login(c)
	if resp, _ := e.callMCP("Bearer "+third.Access, "{}"); resp.StatusCode != 200 {
		t.Fatal("a new family is refused")
	}
}

func TestConcurrentRefreshWithinGrace(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	tk := e.login(c)
	var wg sync.WaitGroup
	results := make([]tokens, 5)
	for i := range results {
		wg.Go(func() {
			resp, body := e.refresh(c, tk.Refresh, nil)
			if resp.StatusCode != 200 {
				t.Errorf("concurrent refresh %d: %d %s", i, resp.StatusCode, body)
				return
			}
			results[i] = parseTokens(t, resp, body)
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, r := range results {
		if seen[r.Refresh] {
			t.Fatal("two answers share a refresh token")
		}
		seen[r.Refresh] = true
	}
	// Each sibling works (once) and the family is alive.
	for _, r := range results[:2] {
		resp, body := e.refresh(c, r.Refresh, nil)
		parseTokens(t, resp, body)
	}
	// Within the grace window, a sequential duplicate also succeeds.
	resp, body := e.refresh(c, results[2].Refresh, nil)
	a := parseTokens(t, resp, body)
	e.clk.Advance(5 * time.Second)
	resp, body = e.refresh(c, results[2].Refresh, nil)
	parseTokens(t, resp, body)
	_ = a
}

func TestRefreshScope(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	tk := e.login(c) // drive (default services)
	resp, body := e.refresh(c, tk.Refresh, map[string]string{"scope": "drive.readonly"})
	narrow := parseTokens(t, resp, body)
	if strings.Contains(narrow.Scope, scopeDrive+" ") || !strings.Contains(narrow.Scope, scopeDriveRO) {
		t.Fatalf("narrowed scope %q", narrow.Scope)
	}
	// The new refresh token keeps the grant's scope.
	resp, body = e.refresh(c, narrow.Refresh, nil)
	if full := parseTokens(t, resp, body); !strings.Contains(full.Scope, scopeDrive) {
		t.Fatalf("scope after narrowing %q", full.Scope)
	}
	tk = e.login(c)
	resp, body = e.refresh(c, tk.Refresh, map[string]string{"scope": "gmail.readonly"})
	wantOAuthError(t, resp, body, 400, "invalid_scope")
	resp, body = e.refresh(c, tk.Refresh, map[string]string{"scope": "bogus"})
	wantOAuthError(t, resp, body, 400, "invalid_scope")
	// A refused widening did not rotate the token.
	resp, body = e.refresh(c, tk.Refresh, nil)
	parseTokens(t, resp, body)
}

func TestRefreshUpstreamOutcomes(t *testing.T) {
	e := newEnv(t, envOptions{mount: echoPrincipal})
	c := e.register(nil)
	tk := e.login(c)

	e.accounts.setRefreshErr(fmt.Errorf("google: %w", ErrUpstreamUnavailable))
	resp, body := e.refresh(c, tk.Refresh, nil)
	wantOAuthError(t, resp, body, http.StatusServiceUnavailable, "temporarily_unavailable")
	if resp.Header.Get("Retry-After") == "" || strings.Contains(string(body), "google") {
		t.Fatalf("unavailable answer: %v %s", resp.Header, body)
	}
	// Nothing rotated: the same refresh token works once the upstream is back.
	e.accounts.setRefreshErr(nil)
	resp, body = e.refresh(c, tk.Refresh, nil)
	next := parseTokens(t, resp, body)

	e.accounts.setRefreshErr(fmt.Errorf("google said invalid_grant: %w", ErrUpstreamRevoked))
	resp, body = e.refresh(c, next.Refresh, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
	if resp, _ := e.callMCP("Bearer "+next.Access, "{}"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatal("an access token survived the upstream revocation")
	}
	e.accounts.setRefreshErr(nil)
	resp, body = e.refresh(c, next.Refresh, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
}

func TestRefreshBindings(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.register(nil)
	other := e.register(nil)
	noRefresh := e.register(map[string]any{"grant_types": []string{"authorization_code"}})
	tk := e.login(c)
	resp, body := e.refresh(other, tk.Refresh, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
	resp, body = e.refresh(c, tk.Access, nil) // an access token is not a refresh token
	wantOAuthError(t, resp, body, 400, "invalid_grant")
	resp, body = e.refresh(c, tk.Refresh, map[string]string{"resource": "https://other.example/mcp"})
	wantOAuthError(t, resp, body, 400, "invalid_target")
	resp, body = e.refresh(c, "gwr_unknown", nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
	// The legitimate client still can (the attempts above did not rotate it).
	resp, body = e.refresh(c, tk.Refresh, nil)
	parseTokens(t, resp, body)

	nt := e.login(noRefresh)
	if nt.Refresh != "" {
		t.Fatal("a client without the refresh_token grant got a refresh token")
	}
	// Idle expiry.
	tk = e.login(c)
	e.clk.Advance(31 * 24 * time.Hour)
	resp, body = e.refresh(c, tk.Refresh, nil)
	wantOAuthError(t, resp, body, 400, "invalid_grant")
}
