package upstream

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// minKeyRefetch is how often an unknown key id may trigger a JWKS fetch, so
// that tokens with made-up key ids cannot make us hammer the provider.
const minKeyRefetch = time.Minute

// joseAlgs are the algorithms a JWS may be parsed with here; go-oidc enforces
// the provider's own list before the signature is checked.
var joseAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA,
}

// keySet caches the provider's JWKS. It implements oidc.KeySet from the cache
// only; fetching happens in refresh and ensure, so fetch failures keep their
// classification (go-oidc flattens key set errors into text).
type keySet struct {
	url    string
	client *http.Client
	now    func() time.Time

	sem     chan struct{} // serializes fetches
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetched time.Time
}

func newKeySet(url string, client *http.Client, now func() time.Time) *keySet {
	return &keySet{url: url, client: client, now: now, sem: make(chan struct{}, 1)}
}

// refresh fetches the JWKS and replaces the cached keys.
func (k *keySet) refresh(ctx context.Context) error {
	var set jose.JSONWebKeySet
	if err := getJSON(ctx, k.client, k.url, maxJWKSBody, &set); err != nil {
		err.Op, err.Kind = "discover", ErrDiscovery
		err.Detail = "fetch JWKS: " + err.Detail
		return err
	}
	var keys []jose.JSONWebKey
	for _, key := range set.Keys {
		if key.Use != "" && key.Use != "sig" {
			continue
		}
		if !key.Valid() || !key.IsPublic() {
			continue
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return &Error{Op: "discover", Kind: ErrDiscovery, Detail: "the JWKS holds no usable signing key"}
	}
	k.mu.Lock()
	k.keys, k.fetched = keys, k.now()
	k.mu.Unlock()
	return nil
}

// ensure makes sure the cache has a key with this id (any key when kid is
// empty), fetching the JWKS again when it does not and the last fetch is
// older than minKeyRefetch. A token whose key stays unknown then fails its
// signature check.
func (k *keySet) ensure(ctx context.Context, kid string) error {
	if k.has(kid) {
		return nil
	}
	select {
	case k.sem <- struct{}{}:
	case <-ctx.Done():
		return &Error{Op: "discover", Kind: ErrDiscovery, Detail: "waiting for JWKS", Err: ctx.Err()}
	}
	defer func() { <-k.sem }()
	if k.has(kid) {
		return nil
	}
	k.mu.Lock()
	recent := !k.fetched.IsZero() && k.now().Sub(k.fetched) < minKeyRefetch
	k.mu.Unlock()
	if recent {
		return nil
	}
	return k.refresh(ctx)
}

func (k *keySet) has(kid string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, key := range k.keys {
		if kid == "" || key.KeyID == kid {
			return true
		}
	}
	return false
}

// VerifySignature implements oidc.KeySet against the cached keys.
func (k *keySet) VerifySignature(_ context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSigned(jwt, joseAlgs)
	if err != nil {
		return nil, errors.New("malformed JWS")
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("not exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	k.mu.Lock()
	keys := k.keys
	k.mu.Unlock()
	for i := range keys {
		if kid != "" && keys[i].KeyID != kid {
			continue
		}
		if payload, err := jws.Verify(&keys[i]); err == nil {
			return payload, nil
		}
	}
	return nil, errors.New("no key of the provider's JWKS verifies the signature")
}
