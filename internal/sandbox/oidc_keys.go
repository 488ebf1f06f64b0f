package sandbox

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// idTokenTTL is how long Google's ID tokens live.
const idTokenTTL = time.Hour

// signingKey signs ID tokens with RS256 under a key id, like Google's certs.
type signingKey struct {
	kid    string
	signer jose.Signer
	public jose.JSONWebKey
}

func newSigningKey(key *rsa.PrivateKey) (*signingKey, error) {
	pub := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.RS256), Use: "sig"}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sandbox: key thumbprint: %w", err)
	}
	// Google's key ids are 40 hex digits.
	pub.KeyID = hex.EncodeToString(thumb)[:40]
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: pub.KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("sandbox: build signer: %w", err)
	}
	return &signingKey{kid: pub.KeyID, signer: signer, public: pub}, nil
}

// sign serializes claims as a compact RS256 JWS.
func (k *signingKey) sign(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sandbox: encode claims: %w", err)
	}
	jws, err := k.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sandbox: sign ID token: %w", err)
	}
	return jws.CompactSerialize()
}

// verify checks the signature of a token this key signed and returns its
// claims. It does not check expiry.
func (k *signingKey) verify(token string) (map[string]any, error) {
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("sandbox: parse ID token: %w", err)
	}
	payload, err := jws.Verify(k.public.Key)
	if err != nil {
		return nil, fmt.Errorf("sandbox: verify ID token: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, fmt.Errorf("sandbox: decode ID token: %w", err)
	}
	return claims, nil
}

// serveJWKS answers the jwks_uri like https://www.googleapis.com/oauth2/v3/certs.
func (s *Sandbox) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	if s.scripted(w, EndpointJWKS) {
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{s.key.public}})
}

// idTokenClaims builds the claims of an ID token for account a. Profile and
// email claims follow the granted scopes, as at Google. Callers hold s.mu.
func (s *Sandbox) idTokenClaims(issuer string, a *Account, audience, azp string, scopes []string, now time.Time, ttl time.Duration) map[string]any {
	claims := map[string]any{
		"iss": issuer,
		"azp": azp,
		"aud": audience,
		"sub": a.Sub,
		"iat": now.Unix(),
		"exp": now.Add(ttl).Unix(),
	}
	if a.HostedDomain != "" {
		claims["hd"] = a.HostedDomain
	}
	if hasScope(scopes, scopeEmail) {
		claims["email"] = a.Email
		claims["email_verified"] = true
	}
	if hasScope(scopes, scopeProfile) {
		claims["name"] = a.Name
		if a.GivenName != "" {
			claims["given_name"] = a.GivenName
		}
		if a.FamilyName != "" {
			claims["family_name"] = a.FamilyName
		}
	}
	return claims
}

// atHash is the at_hash claim: the left half of SHA-256 of the access token.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// MintIDToken returns a Google-style ID token for the account with this email
// and the given audience, as Google issues to server-to-server callers (a
// service account asking for an identity token). It carries iss, aud, azp
// (the subject), sub, email, email_verified, hd, iat and exp. A ttl of zero or
// less means Google's one hour. The issuer must be set.
func (s *Sandbox) MintIDToken(email, audience string, ttl time.Duration) (string, error) {
	if audience == "" {
		return "", errors.New("sandbox: mint ID token: audience is required")
	}
	if ttl <= 0 {
		ttl = idTokenTTL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.issuer == "" {
		return "", errors.New("sandbox: mint ID token: the issuer is not set")
	}
	a := s.account(email)
	if a == nil {
		return "", fmt.Errorf("sandbox: mint ID token: no account %q", email)
	}
	claims := s.idTokenClaims(s.issuer, a, audience, a.Sub, []string{scopeEmail}, s.now(), ttl)
	return s.key.sign(claims)
}
