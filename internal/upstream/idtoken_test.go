package upstream

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gwmcp/gwmcp/internal/sandbox"
)

// sign makes a JWT with claims, signed by key under the key id the sandbox
// derives for it (so a token signed with testKey() verifies against the
// sandbox's JWKS).
func sign(t testing.TB, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	pub := jose.JSONWebKey{Key: &key.PublicKey}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256,
		Key: jose.JSONWebKey{Key: key, KeyID: hex.EncodeToString(thumb)[:40]}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// claimsFor are valid claims for alice from the harness's sandbox.
func (h *harness) claimsFor(aud any) map[string]any {
	now := h.sbClock.Now()
	return map[string]any{
		"iss": h.srv.URL, "aud": aud, "azp": webClientID, "sub": aliceSub,
		"email": alice, "email_verified": "true", "hd": "sandbox.example",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func TestIssuerMatches(t *testing.T) {
	tests := []struct {
		want, got string
		ok        bool
	}{
		{GoogleIssuer, GoogleIssuer, true},
		{GoogleIssuer, "accounts.google.com", true},
		{GoogleIssuer, "http://accounts.google.com", false},
		{GoogleIssuer, "https://accounts.google.com/", false},
		{GoogleIssuer, "https://evil.example", false},
		{GoogleIssuer, "", false},
		{"https://login.example.com", "https://login.example.com", true},
		{"https://login.example.com", "login.example.com", false},
		{"https://login.example.com", "accounts.google.com", false},
		{"https://login.example.com", GoogleIssuer, false},
	}
	for _, tt := range tests {
		if got := issuerMatches(tt.want, tt.got); got != tt.ok {
			t.Errorf("issuerMatches(%q, %q) = %v, want %v", tt.want, tt.got, got, tt.ok)
		}
	}
}

func TestVerifyIDToken(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	valid := h.mint(serverAudience, 0)
	noneAlg := func() string {
		parts := strings.Split(valid, ".")
		hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
		return hdr + "." + parts[1] + "."
	}()
	tamper := func() string {
		parts := strings.Split(valid, ".")
		claims := h.claimsFor(serverAudience)
		claims["sub"] = "109876543210000000002"
		payload, _ := json.Marshal(claims)
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
	}()
	tests := []struct {
		name      string
		raw       string
		audiences []string
		wantErr   bool
	}{
		{"allowed audience", valid, []string{serverAudience}, false},
		{"one of several audiences", valid, []string{webClientID, serverAudience}, false},
		{"foreign audience", h.mint("https://someone-else.example", 0), []string{serverAudience}, true},
		{"no audience configured", valid, nil, true},
		{"empty audience configured", valid, []string{""}, true},
		{"expired", h.mint(serverAudience, time.Minute), []string{serverAudience}, true},
		{"signed by another key", sign(t, otherKey, h.claimsFor(serverAudience)), []string{serverAudience}, true},
		{"alg none", noneAlg, []string{serverAudience}, true},
		{"tampered payload", tamper, []string{serverAudience}, true},
		{"garbage", "not.a.jwt", []string{serverAudience}, true},
		{"empty", "", []string{serverAudience}, true},
		{"huge", strings.Repeat("a", maxIDTokenSize+1), []string{serverAudience}, true},
		{"other issuer", sign(t, testKey(), func() map[string]any {
			c := h.claimsFor(serverAudience)
			c["iss"] = "https://evil.example"
			return c
		}()), []string{serverAudience}, true},
		{"scheme-less issuer of a non-Google provider", sign(t, testKey(), func() map[string]any {
			c := h.claimsFor(serverAudience)
			c["iss"] = strings.TrimPrefix(h.srv.URL, "http://")
			return c
		}()), []string{serverAudience}, true},
		{"issued in the future", sign(t, testKey(), func() map[string]any {
			c := h.claimsFor(serverAudience)
			c["iat"] = h.sbClock.Now().Add(10 * time.Minute).Unix()
			return c
		}()), []string{serverAudience}, true},
		{"no subject", sign(t, testKey(), func() map[string]any {
			c := h.claimsFor(serverAudience)
			delete(c, "sub")
			return c
		}()), []string{serverAudience}, true},
	}
	// The "expired" token lives one minute; move the provider's clock past
	// that plus the skew allowance.
	h.clock.Advance(time.Minute + clockSkew + time.Second)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.leaks.secret(tt.raw)
			id, err := p.VerifyIDToken(t.Context(), tt.raw, tt.audiences...)
			h.leaks.err(err)
			if tt.wantErr {
				t.Log(err)
				if !errors.Is(err, ErrInvalidIDToken) {
					t.Fatalf("VerifyIDToken = %+v, %v; want ErrInvalidIDToken", id, err)
				}
				if id != (Identity{}) {
					t.Errorf("identity returned with an error: %+v", id)
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifyIDToken: %v", err)
			}
			if id.Subject != aliceSub || id.Email != alice || !id.EmailVerified || id.HostedDomain != "sandbox.example" {
				t.Errorf("identity = %+v", id)
			}
		})
	}
}

func TestIDTokenExpirySkew(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	raw := h.mint(serverAudience, 10*time.Minute)
	// Just past expiry but within the skew: accepted.
	h.clock.Advance(10*time.Minute + clockSkew/2)
	if _, err := p.VerifyIDToken(t.Context(), raw, serverAudience); err != nil {
		t.Fatalf("within skew: %v", h.leaks.err(err))
	}
	h.clock.Advance(clockSkew)
	_, err := p.VerifyIDToken(t.Context(), raw, serverAudience)
	if !errors.Is(h.leaks.err(err), ErrInvalidIDToken) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("past skew: %v, want an expired ErrInvalidIDToken", err)
	}
}

func TestExchangeIDTokenChecks(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(h *harness)
		nonce   string
		want    error
	}{
		{"wrong audience", func(h *harness) {
			raw := h.mint("https://someone-else.example", 0)
			h.setRewrite(func(m map[string]any) { m["id_token"] = raw })
		}, "", ErrInvalidIDToken},
		{"several audiences, azp another party", func(h *harness) {
			c := h.claimsFor([]string{webClientID, "other-client"})
			c["azp"] = "other-client"
			raw := sign(h.t, testKey(), c)
			h.leaks.secret(raw)
			h.setRewrite(func(m map[string]any) { m["id_token"] = raw })
		}, "", ErrInvalidIDToken},
		{"several audiences, azp us", func(h *harness) {
			raw := sign(h.t, testKey(), h.claimsFor([]string{webClientID, "other-client"}))
			h.leaks.secret(raw)
			h.setRewrite(func(m map[string]any) { m["id_token"] = raw })
		}, "", nil},
		{"no ID token", func(h *harness) {
			h.setRewrite(func(m map[string]any) { delete(m, "id_token") })
		}, "", ErrInvalidIDToken},
		{"at_hash of another access token", func(h *harness) {
			h.setRewrite(func(m map[string]any) { m["access_token"] = "ya29.swapped-token" })
			h.leaks.secret("ya29.swapped-token")
		}, "", ErrInvalidIDToken},
		{"expired for the provider's clock", func(h *harness) {
			h.clock.Advance(2 * time.Hour)
		}, "", ErrInvalidIDToken},
		{"wrong nonce", func(*harness) {}, "not-the-nonce", ErrInvalidIDToken},
		{"nonce matches", func(*harness) {}, "the-nonce", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			p := h.provider()
			code, verifier := h.login(p, AuthRequest{Nonce: "the-nonce"})
			tt.prepare(h)
			tks, err := p.Exchange(t.Context(), code, verifier, tt.nonce, "")
			h.remember(tks)
			h.leaks.err(err)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				if tks.Identity.Subject != aliceSub {
					t.Errorf("identity = %+v", tks.Identity)
				}
				return
			}
			t.Log(err)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Exchange = %v, want %v", err, tt.want)
			}
			if !tks.AccessToken.IsZero() {
				t.Error("tokens returned with an error")
			}
		})
	}
}

func TestUnknownKeyIDRefetchIsRateLimited(t *testing.T) {
	h := newHarness(t)
	p := h.provider()
	if err := p.Discover(t.Context()); err != nil {
		t.Fatal(err)
	}
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged := sign(t, otherKey, h.claimsFor(serverAudience))
	jwks := string(sandbox.EndpointJWKS)
	for range 5 {
		if _, err := p.VerifyIDToken(t.Context(), forged, serverAudience); !errors.Is(h.leaks.err(err), ErrInvalidIDToken) {
			t.Fatalf("forged token: %v", err)
		}
	}
	if n := h.hitCount(jwks); n != 1 {
		t.Errorf("JWKS fetched %d times within a minute, want 1 (discovery only)", n)
	}
	h.clock.Advance(2 * minKeyRefetch)
	for range 5 {
		_, _ = p.VerifyIDToken(t.Context(), forged, serverAudience)
	}
	if n := h.hitCount(jwks); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2 (one refetch for the unknown key)", n)
	}
	// A refetch that fails is temporary, not an invalid token.
	h.clock.Advance(2 * minKeyRefetch)
	h.sb.FailNext(sandbox.EndpointJWKS, 503, 1)
	if _, err := p.VerifyIDToken(t.Context(), forged, serverAudience); !errors.Is(h.leaks.err(err), ErrUnavailable) {
		t.Errorf("JWKS outage: %v, want ErrUnavailable", err)
	}
	// Known keys keep working without any fetch.
	before := h.hitCount(jwks)
	if _, err := p.VerifyIDToken(t.Context(), h.mint(serverAudience, 0), serverAudience); err != nil {
		t.Errorf("valid token: %v", err)
	}
	if h.hitCount(jwks) != before {
		t.Error("a known key id caused a JWKS fetch")
	}
}

func TestFlexBool(t *testing.T) {
	for in, want := range map[string]bool{`true`: true, `"true"`: true, `false`: false, `"false"`: false, `null`: false} {
		var b flexBool
		if err := json.Unmarshal([]byte(in), &b); err != nil || bool(b) != want {
			t.Errorf("%s -> %v, %v", in, b, err)
		}
	}
	var b flexBool
	if err := json.Unmarshal([]byte(`"yes"`), &b); err == nil {
		t.Error(`"yes" accepted`)
	}
}
