// Package devtoken owns flow 5: development tokens for tests and local work without Google.
// `gwmcp token dev` mints them with a signing key kept under CREDENTIALS_DIR, and a server
// started with ENABLE_DEV_TOKENS=true (and the same directory) accepts them. They are a
// distinct token type (typ gwmcp-dev+jwt, EdDSA, their own key), so they are never mistaken
// for gwmcp's OAuth access tokens or anything Google issued.
package devtoken

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// KeyFile is the development signing key's file under CREDENTIALS_DIR.
const KeyFile = ".dev_token_key"

// Type is the JWT "typ" of development tokens.
const Type = "gwmcp-dev+jwt"

// Errors of verification; compare with errors.Is.
var (
	ErrInvalid = errors.New("invalid development token")
	ErrExpired = errors.New("development token expired")
)

// Key is the development signing key.
type Key struct {
	priv ed25519.PrivateKey
	id   string
}

// LoadOrCreate reads the key file in dir, creating it (0600) on first use. write is an
// atomic file writer (seal.WriteFileAtomic). A key file readable by others is refused.
func LoadOrCreate(dir string, write func(string, []byte, os.FileMode) error, rnd io.Reader) (*Key, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		_, priv, gerr := ed25519.GenerateKey(rnd)
		if gerr != nil {
			return nil, fmt.Errorf("devtoken: generating the key: %w", gerr)
		}
		der, merr := x509.MarshalPKCS8PrivateKey(priv)
		if merr != nil {
			return nil, fmt.Errorf("devtoken: %w", merr)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("devtoken: %w", err)
		}
		b = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err := write(path, b, 0o600); err != nil {
			return nil, fmt.Errorf("devtoken: writing %s: %w", path, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("devtoken: reading %s: %w", path, err)
	} else if st, serr := os.Stat(path); serr == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("devtoken: %s is readable by group or others (mode %o); run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("devtoken: %s is not a PEM key; delete it to make a new one", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	priv, ok := k.(ed25519.PrivateKey)
	if err != nil || !ok {
		return nil, fmt.Errorf("devtoken: %s is not an Ed25519 key; delete it to make a new one", path)
	}
	pub := priv.Public().(ed25519.PublicKey)
	return &Key{priv: priv, id: "dev-" + base64.RawURLEncoding.EncodeToString(pub[:6])}, nil
}

// Claims are what a development token says.
type Claims struct {
	Email  string
	Scopes []string // empty: not limited
	TTL    time.Duration
}

type claims struct {
	jwt.Claims
	Email string `json:"email"`
	Scope string `json:"scope,omitempty"`
}

// Mint signs a development token for issuer and audience.
func (k *Key) Mint(c Claims, issuer, audience string, now time.Time) (string, error) {
	if c.Email == "" || !strings.Contains(c.Email, "@") {
		return "", errors.New("devtoken: an email address is required")
	}
	if c.TTL <= 0 || c.TTL > 30*24*time.Hour {
		return "", errors.New("devtoken: the lifetime must be positive and at most 30 days")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: k.priv},
		(&jose.SignerOptions{}).WithType(Type).WithHeader("kid", k.id))
	if err != nil {
		return "", fmt.Errorf("devtoken: %w", err)
	}
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	cl := claims{Claims: jwt.Claims{Issuer: issuer, Audience: jwt.Audience{audience}, Subject: "dev:" + strings.ToLower(c.Email),
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(c.TTL)),
		ID: base64.RawURLEncoding.EncodeToString(jti[:])}, Email: strings.ToLower(c.Email), Scope: strings.Join(c.Scopes, " ")}
	return jwt.Signed(signer).Claims(cl).Serialize()
}

// Verified is a development token that checked out.
type Verified struct {
	Subject, Email string
	Scopes         []string // nil: not limited
	Expiry         time.Time
}

// Verify checks signature (this key, EdDSA only), type, issuer, audience and time.
func (k *Key) Verify(raw, issuer, audience string, now time.Time) (Verified, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil || len(tok.Headers) != 1 {
		return Verified{}, ErrInvalid
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != Type || h.KeyID != k.id {
		return Verified{}, ErrInvalid
	}
	var cl claims
	if err := tok.Claims(k.priv.Public(), &cl); err != nil {
		return Verified{}, ErrInvalid
	}
	if err := cl.ValidateWithLeeway(jwt.Expected{Issuer: issuer, AnyAudience: jwt.Audience{audience}, Time: now}, 30*time.Second); err != nil {
		if errors.Is(err, jwt.ErrExpired) {
			return Verified{}, ErrExpired
		}
		return Verified{}, ErrInvalid
	}
	if cl.Email == "" || cl.Subject != "dev:"+cl.Email {
		return Verified{}, ErrInvalid
	}
	v := Verified{Subject: cl.Subject, Email: cl.Email, Expiry: cl.Expiry.Time()}
	if cl.Scope != "" {
		v.Scopes = strings.Fields(cl.Scope)
	}
	return v, nil
}

// LooksLike reports whether raw claims to be a development token (by its header), so a
// server can route it to Verify; the claim decides nothing, Verify does.
func LooksLike(raw string) bool {
	head, _, ok := strings.Cut(raw, ".")
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	return err == nil && strings.Contains(string(b), Type)
}
