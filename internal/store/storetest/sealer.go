package storetest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
)

// Sealer is a small AES-256-GCM store.Sealer for tests, with rotation: Seal uses the
// newest key, Open any key not yet retired. Its envelope is a version byte, a key id,
// the nonce and the ciphertext. It stands in for internal/seal's keyring, which it does
// not try to match byte for byte.
type Sealer struct {
	mu      sync.Mutex
	keys    map[byte]cipher.AEAD
	current byte
}

// NewSealer returns a Sealer with one fresh random key.
func NewSealer() *Sealer {
	s := &Sealer{keys: make(map[byte]cipher.AEAD)}
	s.Rotate()
	return s
}

// Rotate adds a fresh random key and makes it the one Seal uses.
func (s *Sealer) Rotate() {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current++
	s.keys[s.current] = aead
}

// RetireOld forgets every key but the newest, so values sealed with them no longer open.
func (s *Sealer) RetireOld() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.keys {
		if id != s.current {
			delete(s.keys, id)
		}
	}
}

const sealerVersion = 1

var errUnknownKey = errors.New("test sealer: unknown key id")

// Seal encrypts plaintext with the newest key, authenticating aad.
func (s *Sealer) Seal(plaintext, aad []byte) ([]byte, error) {
	s.mu.Lock()
	id, aead := s.current, s.keys[s.current]
	s.mu.Unlock()
	out := make([]byte, 2+aead.NonceSize(), 2+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0], out[1] = sealerVersion, id
	if _, err := rand.Read(out[2:]); err != nil {
		return nil, fmt.Errorf("test sealer: nonce: %w", err)
	}
	return aead.Seal(out, out[2:], plaintext, aad), nil
}

// Open decrypts an envelope made by Seal with the same aad.
func (s *Sealer) Open(envelope, aad []byte) ([]byte, error) {
	if len(envelope) < 2 || envelope[0] != sealerVersion {
		return nil, errors.New("test sealer: not an envelope")
	}
	s.mu.Lock()
	aead, ok := s.keys[envelope[1]]
	s.mu.Unlock()
	if !ok {
		return nil, errUnknownKey
	}
	n := aead.NonceSize()
	if len(envelope) < 2+n+aead.Overhead() {
		return nil, errors.New("test sealer: envelope too short")
	}
	plain, err := aead.Open(nil, envelope[2:2+n], envelope[2+n:], aad)
	if err != nil {
		return nil, fmt.Errorf("test sealer: %w", err)
	}
	return plain, nil
}
