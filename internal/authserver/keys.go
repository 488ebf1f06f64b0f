package authserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gwmcp/gwmcp/internal/store"
)

// storedKey is one signing key as kept in the store (sealed by the store wrapper).
type storedKey struct {
	ID      string    `json:"kid"`
	DER     []byte    `json:"der"` // SEC 1 EC private key
	Created time.Time `json:"created"`
	// RetireAt is zero for the current key; for a previous key, when its last token
	// has expired and it leaves the JWKS.
	RetireAt time.Time `json:"retire_at,omitzero"`
}

type storedKeys struct {
	Current string      `json:"current"`
	Keys    []storedKey `json:"keys"`
}

// keyRing is the parsed, immutable view of storedKeys.
type keyRing struct {
	currentID string
	signer    jose.Signer
	public    map[string]*ecdsa.PublicKey
	retireAt  map[string]time.Time
	jwks      []byte
}

// keyReloadEvery limits reloads caused by tokens naming an unknown key id.
const keyReloadEvery = time.Second

func (s *Server) newStoredKey() (storedKey, error) {
	// Key generation uses crypto/rand: ecdsa ignores other readers since Go 1.26.
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return storedKey{}, fmt.Errorf("authserver: generate signing key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return storedKey{}, fmt.Errorf("authserver: encode signing key: %w", err)
	}
	kid, err := s.random(12)
	if err != nil {
		return storedKey{}, err
	}
	return storedKey{ID: kid, DER: der, Created: s.cfg.Now().UTC()}, nil
}

// loadKeys reads the key set, creating it on first start. Of several instances
// starting together on one store, exactly one creates it; the others read it.
func (s *Server) loadKeys(ctx context.Context) error {
	err := s.reloadKeys(ctx)
	if !isNotFound(err) {
		return err
	}
	k, err := s.newStoredKey()
	if err != nil {
		return err
	}
	b, err := json.Marshal(storedKeys{Current: k.ID, Keys: []storedKey{k}})
	if err != nil {
		return err
	}
	if err := store.Create(ctx, s.st, keySigningKeys, b, 0); err != nil && !errors.Is(err, store.ErrExists) {
		return fmt.Errorf("authserver: store signing key: %w", err)
	}
	return s.reloadKeys(ctx)
}

// reloadKeys replaces the in-memory key ring with the store's.
func (s *Server) reloadKeys(ctx context.Context) error {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	var sk storedKeys
	if err := s.getJSON(ctx, keySigningKeys, &sk); err != nil {
		if isNotFound(err) {
			return err
		}
		return fmt.Errorf("authserver: load signing keys: %w", err)
	}
	ring, err := s.parseKeys(sk)
	if err != nil {
		return err
	}
	s.keys.Store(ring)
	s.keysLoad.Store(s.cfg.Now().UnixNano())
	return nil
}

func (s *Server) parseKeys(sk storedKeys) (*keyRing, error) {
	ring := &keyRing{currentID: sk.Current, public: map[string]*ecdsa.PublicKey{}, retireAt: map[string]time.Time{}}
	var set jose.JSONWebKeySet
	for _, k := range sk.Keys {
		priv, err := x509.ParseECPrivateKey(k.DER)
		if err != nil || priv.Curve != elliptic.P256() {
			return nil, fmt.Errorf("authserver: signing key %s: %w", k.ID, store.ErrCorrupt)
		}
		ring.public[k.ID] = &priv.PublicKey
		ring.retireAt[k.ID] = k.RetireAt
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &priv.PublicKey, KeyID: k.ID, Algorithm: string(jose.ES256), Use: "sig"})
		if k.ID == sk.Current {
			signer, err := jose.NewSigner(
				jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: k.ID}},
				(&jose.SignerOptions{}).WithType("at+jwt"))
			if err != nil {
				return nil, fmt.Errorf("authserver: signer: %w", err)
			}
			ring.signer = signer
		}
	}
	if ring.signer == nil {
		return nil, fmt.Errorf("authserver: the current signing key is missing: %w", store.ErrCorrupt)
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	ring.jwks = jwks
	return ring, nil
}

// publicKey finds the verification key for kid, reloading the key set (rate-limited)
// when another replica rotated.
func (s *Server) publicKey(ctx context.Context, kid string) (*ecdsa.PublicKey, bool) {
	ring := s.keys.Load()
	if k, ok := ring.public[kid]; ok {
		if r := ring.retireAt[kid]; !r.IsZero() && s.cfg.Now().After(r) {
			return nil, false
		}
		return k, true
	}
	now := s.cfg.Now().UnixNano()
	if last := s.keysLoad.Load(); now-last < int64(keyReloadEvery) || !s.keysLoad.CompareAndSwap(last, now) {
		return nil, false // at most one reload a second, whatever kids attackers invent
	}
	if err := s.reloadKeys(ctx); err != nil {
		s.log.WarnContext(ctx, "authserver: reload signing keys", "error", err)
		return nil, false
	}
	k, ok := s.keys.Load().public[kid]
	return k, ok
}

// RotateSigningKey makes a fresh key current. The previous key stays in the JWKS and
// keeps verifying until every token it signed has expired; older retired keys are
// dropped. Other replicas pick the new key up within RevocationPollInterval.
func (s *Server) RotateSigningKey(ctx context.Context) error {
	nk, err := s.newStoredKey()
	if err != nil {
		return err
	}
	now := s.cfg.Now().UTC()
	retire := now.Add(s.cfg.AccessTokenTTL + clockSkew + 2*s.cfg.RevocationPollInterval)
	err = updateJSON(ctx, s.st, keySigningKeys, func(sk *storedKeys, exists bool) (time.Duration, error) {
		if !exists {
			return 0, store.ErrNotFound
		}
		kept := []storedKey{nk}
		for _, k := range sk.Keys {
			if k.ID == sk.Current {
				k.RetireAt = retire
			}
			if k.RetireAt.After(now) {
				kept = append(kept, k)
			}
		}
		sk.Current, sk.Keys = nk.ID, kept
		return 0, nil
	})
	if err != nil {
		return fmt.Errorf("authserver: rotate signing key: %w", err)
	}
	if err := s.reloadKeys(ctx); err != nil {
		return err
	}
	s.bumpEpoch(ctx) // tells replicas to reload
	s.log.InfoContext(ctx, "authserver: signing key rotated", "kid", nk.ID)
	return nil
}

// handleJWKS serves the public keys.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	ring := s.keys.Load()
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(ring.jwks)
}
