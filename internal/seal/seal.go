// Package seal owns encryption at rest: the AES-256-GCM envelope every sealed record is
// stored in, the Keyring that seals with the newest key and opens with any known key,
// the key files under CREDENTIALS_DIR and their rotation protocol, and the one atomic
// file-write helper the rest of the storage code reuses.
//
// # Envelope
//
// A sealed record is a byte string laid out as
//
//	offset 0      1 byte   version (currently 1)
//	offset 1      8 bytes  key id: the first 8 bytes of SHA-256("gwmcp seal key id v1\x00" || key)
//	offset 9     12 bytes  random nonce
//	offset 21     n bytes  AES-256-GCM ciphertext followed by its 16-byte tag
//
// The GCM additional data is the 9-byte header followed by the caller's aad, which names
// the record (for example "credential:alice_at_example_com"). A record copied onto another
// record's name therefore fails to open, and so does any changed byte, a different key or
// a different version byte. The key id is derived from the key, so nothing besides the key
// itself needs storing; reads find the key by id, writes always use the primary key.
// Random 96-bit nonces are safe for far more records than a credentials directory holds.
//
// # Key files and rotation
//
// The primary key is CREDENTIALS_DIR/.auth_encryption_key: exactly 32 random bytes, mode
// 0600, created on first use (exclusively, so two processes starting at once agree on one
// key). The directory is kept at 0700. A key file readable or writable by group or others,
// of the wrong size, or that is a directory is refused with an error naming the file.
// Alternatively the caller passes the base64 value of AUTH_ENCRYPTION_KEY (KeyringFromBase64);
// such a key cannot be rotated by gwmcp.
//
// Rotation keeps older keys in CREDENTIALS_DIR/.auth_encryption_keys/ (mode 0700):
//
//	next.key          the new key while it is being introduced
//	<key id>.key      a retired key, still loaded for reading until rotation completes
//
// The protocol, in which every step is an atomic file operation and the state on disk
// alone says where a rotation stopped, is:
//
//  1. Begin: write next.key (skipped if it already exists, or if retired keys exist, which
//     means an earlier rotation is still being finished).
//  2. Promote: copy the current primary to <id>.key, atomically replace
//     .auth_encryption_key with the content of next.key, remove next.key. A rerun after a
//     crash between these steps sees which have happened and finishes the rest.
//  3. The caller re-seals every record with the new primary (the keyring still opens the
//     old ones). Records already under the primary are left alone, so a rerun is cheap.
//  4. Finish: only when everything is re-sealed, delete the retired key files.
//
// Load always reads the primary plus every retired key and next.key, so at any instant
// of a crashed rotation every record still opens.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// Version is the envelope version this package writes.
const Version byte = 1

// KeySize is the size of every key in bytes (AES-256).
const KeySize = 32

const (
	keyIDSize   = 8
	nonceSize   = 12
	tagSize     = 16
	headerSize  = 1 + keyIDSize
	overhead    = headerSize + nonceSize + tagSize
	keyIDDomain = "gwmcp seal key id v1\x00"
)

// Errors returned by Open and EnvelopeKeyID. Compare with errors.Is.
var (
	ErrUnknownVersion = errors.New("seal: unknown envelope version (written by a newer gwmcp, or not a gwmcp sealed file)")
	ErrTruncated      = errors.New("seal: envelope too short (truncated or empty)")
	ErrUnknownKey     = errors.New("seal: sealed with a key this keyring does not have (wrong or lost encryption key)")
	ErrAuthFailed     = errors.New("seal: authentication failed (data modified, sealed for a different record, or wrong key)")
	ErrBadKey         = errors.New("seal: key must be exactly 32 bytes")
)

// KeyID names a key inside envelopes. It is derived from the key material.
type KeyID [keyIDSize]byte

// String returns the key id in hex.
func (id KeyID) String() string { return hex.EncodeToString(id[:]) }

// KeyIDOf returns the id of key.
func KeyIDOf(key []byte) KeyID {
	h := sha256.New()
	h.Write([]byte(keyIDDomain))
	h.Write(key)
	var id KeyID
	copy(id[:], h.Sum(nil))
	return id
}

type keyEntry struct {
	id   KeyID
	aead cipher.AEAD
}

// Keyring seals with its primary key and opens with any of its keys. It is immutable and
// safe for concurrent use.
type Keyring struct {
	primary keyEntry
	all     []keyEntry // primary first
	rand    io.Reader
}

// NewKeyring builds a keyring whose writes use primary and whose reads also accept the
// retired keys. rnd supplies nonces; nil means crypto/rand.
func NewKeyring(primary []byte, retired [][]byte, rnd io.Reader) (*Keyring, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	p, err := newEntry(primary)
	if err != nil {
		return nil, fmt.Errorf("seal: primary key: %w", err)
	}
	k := &Keyring{primary: p, all: []keyEntry{p}, rand: rnd}
	for i, r := range retired {
		e, err := newEntry(r)
		if err != nil {
			return nil, fmt.Errorf("seal: retired key %d: %w", i, err)
		}
		if k.Has(e.id) {
			continue
		}
		k.all = append(k.all, e)
	}
	return k, nil
}

func newEntry(key []byte) (keyEntry, error) {
	if len(key) != KeySize {
		return keyEntry{}, fmt.Errorf("%w (got %d)", ErrBadKey, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return keyEntry{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return keyEntry{}, err
	}
	return keyEntry{id: KeyIDOf(key), aead: aead}, nil
}

// Primary returns the id of the key new envelopes are sealed with.
func (k *Keyring) Primary() KeyID { return k.primary.id }

// IDs returns the ids of every key, primary first.
func (k *Keyring) IDs() []KeyID {
	ids := make([]KeyID, len(k.all))
	for i, e := range k.all {
		ids[i] = e.id
	}
	return ids
}

// Has reports whether the keyring holds the key with this id.
func (k *Keyring) Has(id KeyID) bool {
	return k.find(id) != nil
}

func (k *Keyring) find(id KeyID) cipher.AEAD {
	for i := range k.all {
		if k.all[i].id == id {
			return k.all[i].aead
		}
	}
	return nil
}

// Seal encrypts plaintext under the primary key, binding it to aad.
func (k *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, headerSize+nonceSize, len(plaintext)+overhead)
	out[0] = Version
	copy(out[1:headerSize], k.primary.id[:])
	if _, err := io.ReadFull(k.rand, out[headerSize:headerSize+nonceSize]); err != nil {
		return nil, fmt.Errorf("seal: reading nonce: %w", err)
	}
	ad := additionalData(out[:headerSize], aad)
	return k.primary.aead.Seal(out, out[headerSize:headerSize+nonceSize], plaintext, ad), nil
}

// Open decrypts an envelope made by Seal with the same aad and any key of this keyring.
func (k *Keyring) Open(envelope, aad []byte) ([]byte, error) {
	id, err := EnvelopeKeyID(envelope)
	if err != nil {
		return nil, err
	}
	aead := k.find(id)
	if aead == nil {
		return nil, fmt.Errorf("%w (key id %s)", ErrUnknownKey, id)
	}
	ad := additionalData(envelope[:headerSize], aad)
	pt, err := aead.Open(nil, envelope[headerSize:headerSize+nonceSize], envelope[headerSize+nonceSize:], ad)
	if err != nil {
		return nil, ErrAuthFailed
	}
	return pt, nil
}

// EnvelopeKeyID returns the id of the key an envelope was sealed with, checking only
// its version and length (not its authenticity).
func EnvelopeKeyID(envelope []byte) (KeyID, error) {
	if len(envelope) == 0 {
		return KeyID{}, ErrTruncated
	}
	if envelope[0] != Version {
		return KeyID{}, fmt.Errorf("%w (version byte %d)", ErrUnknownVersion, envelope[0])
	}
	if len(envelope) < overhead {
		return KeyID{}, fmt.Errorf("%w (%d bytes, need at least %d)", ErrTruncated, len(envelope), overhead)
	}
	var id KeyID
	copy(id[:], envelope[1:headerSize])
	return id, nil
}

func additionalData(header, aad []byte) []byte {
	ad := make([]byte, 0, len(header)+len(aad))
	ad = append(ad, header...)
	return append(ad, aad...)
}
