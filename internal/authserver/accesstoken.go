package authserver

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Principal is the verified caller of a request to /mcp.
type Principal struct {
	// Subject is the upstream (Google) subject of the person.
	Subject string
	// Email is the person's verified email at login.
	Email string
	// ClientID is the MCP client the token was issued to.
	ClientID string
	// Scopes are the upstream scope URLs the token grants.
	Scopes []string
	// TokenID is the token's jti; GrantID its family (gid).
	TokenID string
	GrantID string
	// Expiry is when the token expires.
	Expiry time.Time
}

// accessClaims are the claims of our access tokens (RFC 9068 plus gwmcp's own).
type accessClaims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	Expiry    int64  `json:"exp"`
	IssuedAt  int64  `json:"iat"`
	NotBefore int64  `json:"nbf"`
	ID        string `json:"jti"`
	ClientID  string `json:"client_id"`
	Scope     string `json:"scope"`
	Email     string `json:"email,omitempty"`
	FamilyID  string `json:"gid"`
}

// Verification failures. Their text is safe to show to the client.
var (
	errTokenMalformed = errors.New("the access token is malformed")
	errTokenSignature = errors.New("the access token is not signed by this server")
	errTokenType      = errors.New("the token is not an access token of this server")
	errTokenClaims    = errors.New("the access token was issued for another server or resource")
	errTokenExpired   = errors.New("the access token has expired")
	errTokenRevoked   = errors.New("the access token has been revoked")
	errTokenStore     = errors.New("the access token could not be checked; try again")
)

// mintAccessToken signs an access token for a family.
func (s *Server) mintAccessToken(f *familyRecord, scope []string) (string, accessClaims, error) {
	jti, err := s.random(16)
	if err != nil {
		return "", accessClaims{}, err
	}
	now := s.cfg.Now()
	c := accessClaims{
		Issuer:    s.cfg.Issuer,
		Subject:   f.Subject,
		Audience:  s.cfg.Resource,
		IssuedAt:  now.Unix(),
		NotBefore: now.Unix(),
		Expiry:    now.Add(s.cfg.AccessTokenTTL).Unix(),
		ID:        jti,
		ClientID:  f.ClientID,
		Scope:     strings.Join(scope, " "),
		Email:     f.Email,
		FamilyID:  f.ID,
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", accessClaims{}, err
	}
	jws, err := s.keys.Load().signer.Sign(payload)
	if err != nil {
		return "", accessClaims{}, fmt.Errorf("authserver: sign access token: %w", err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		return "", accessClaims{}, fmt.Errorf("authserver: serialize access token: %w", err)
	}
	return tok, c, nil
}

// parseAccessToken checks an access token's form, type, signature, issuer and audience,
// but neither time nor revocation.
func (s *Server) parseAccessToken(ctx context.Context, raw string) (accessClaims, error) {
	if len(raw) > maxTokenLen || strings.Count(raw, ".") != 2 {
		return accessClaims{}, errTokenMalformed
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		var alg *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &alg) {
			return accessClaims{}, errTokenSignature
		}
		return accessClaims{}, errTokenMalformed
	}
	if len(jws.Signatures) != 1 {
		return accessClaims{}, errTokenMalformed
	}
	h := jws.Signatures[0].Header
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "at+jwt") &&
		!strings.EqualFold(typ, "application/at+jwt") {
		return accessClaims{}, errTokenType
	}
	if _, crit := h.ExtraHeaders["crit"]; crit {
		return accessClaims{}, errTokenMalformed
	}
	key, ok := s.publicKey(ctx, h.KeyID)
	if !ok {
		return accessClaims{}, errTokenSignature
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return accessClaims{}, errTokenSignature
	}
	var c accessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return accessClaims{}, errTokenMalformed
	}
	if c.Issuer != s.cfg.Issuer || c.Audience != s.cfg.Resource {
		return accessClaims{}, errTokenClaims
	}
	if c.Subject == "" || c.ID == "" || c.FamilyID == "" || c.ClientID == "" || c.Expiry == 0 {
		return accessClaims{}, errTokenMalformed
	}
	return c, nil
}

// VerifyAccessToken verifies a bearer token fully: form, ES256 signature by one of our
// keys, typ at+jwt, issuer, audience, time (with 30 s skew) and revocation of the token
// and its family. Results are cached without weakening revocation (see the package
// documentation).
func (s *Server) VerifyAccessToken(ctx context.Context, raw string) (Principal, error) {
	k := sha256.Sum256([]byte(raw))
	now := s.cfg.Now()
	gen := s.cacheGen(ctx)
	if p, ok := s.cache.get(k, now, gen); ok {
		return p, nil
	}
	c, err := s.parseAccessToken(ctx, raw)
	if err != nil {
		return Principal{}, err
	}
	exp := time.Unix(c.Expiry, 0)
	if !now.Before(exp.Add(clockSkew)) {
		return Principal{}, errTokenExpired
	}
	if now.Add(clockSkew).Before(time.Unix(c.NotBefore, 0)) || now.Add(clockSkew).Before(time.Unix(c.IssuedAt, 0)) {
		return Principal{}, errTokenClaims
	}
	var f familyRecord
	if err := s.getJSON(ctx, familyKey(c.Subject, c.FamilyID), &f); err != nil {
		if isNotFound(err) {
			return Principal{}, errTokenRevoked
		}
		s.log.ErrorContext(ctx, "authserver: read grant family", "error", err)
		return Principal{}, errTokenStore
	}
	if f.Revoked || f.ClientID != c.ClientID {
		return Principal{}, errTokenRevoked
	}
	if _, revoked := f.RevokedTokens[c.ID]; revoked {
		return Principal{}, errTokenRevoked
	}
	p := Principal{
		Subject: c.Subject, Email: c.Email, ClientID: c.ClientID, Scopes: strings.Fields(c.Scope),
		TokenID: c.ID, GrantID: c.FamilyID, Expiry: exp,
	}
	s.cache.put(k, cacheEntry{p: p, exp: exp.Add(clockSkew), gen: gen}, now)
	return p, nil
}
