package pyimport

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Fernet (github.com/fernet/spec), as the Python cryptography package writes it:
//
//	token = base64url( 0x80 | timestamp (8, big endian) | IV (16) | AES-128-CBC ciphertext | HMAC-SHA256 (32) )
//	key   = base64url( signing key (16) | encryption key (16) )
//
// The HMAC covers everything before it. Only decryption is needed here; timestamps are
// not checked (the Python server never set a TTL).

// Errors of the Fernet decoder.
var (
	ErrFernetKey   = errors.New("not a Fernet key (want the base64url encoding of 32 bytes)")
	ErrFernetToken = errors.New("not a Fernet token")
	ErrFernetAuth  = errors.New("Fernet token does not verify with this key (wrong key or modified data)")
)

const (
	fernetVersion  = 0x80
	fernetOverhead = 1 + 8 + aes.BlockSize + sha256.Size
)

// fernetKey is a decoded Fernet key.
type fernetKey struct {
	sign, enc []byte
}

// fernetKeyFromBytes splits 32 raw key bytes.
func fernetKeyFromBytes(raw []byte) (fernetKey, error) {
	if len(raw) != 32 {
		return fernetKey{}, fmt.Errorf("%w: %d bytes", ErrFernetKey, len(raw))
	}
	return fernetKey{sign: raw[:16:16], enc: raw[16:32:32]}, nil
}

// parseFernetKey decodes a Fernet key in its text form.
func parseFernetKey(text []byte) (fernetKey, error) {
	raw, err := decodeBase64URL(text)
	if err != nil {
		return fernetKey{}, fmt.Errorf("%w: %v", ErrFernetKey, err)
	}
	return fernetKeyFromBytes(raw)
}

// decodeBase64URL decodes URL-safe base64, padded or not, ignoring surrounding space.
func decodeBase64URL(text []byte) ([]byte, error) {
	t := bytes.TrimSpace(text)
	t = bytes.TrimRight(t, "=")
	out := make([]byte, base64.RawURLEncoding.DecodedLen(len(t)))
	n, err := base64.RawURLEncoding.Decode(out, t)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// fernetDecrypt verifies and decrypts a token in its text form.
func fernetDecrypt(key fernetKey, token []byte) ([]byte, error) {
	raw, err := decodeBase64URL(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFernetToken, err)
	}
	return fernetDecryptRaw(key, raw)
}

// fernetDecryptRaw verifies and decrypts a base64-decoded token.
func fernetDecryptRaw(key fernetKey, raw []byte) ([]byte, error) {
	if len(raw) < fernetOverhead+aes.BlockSize {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrFernetToken, len(raw))
	}
	if raw[0] != fernetVersion {
		return nil, fmt.Errorf("%w: version byte 0x%02x", ErrFernetToken, raw[0])
	}
	body, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	mac := hmac.New(sha256.New, key.sign)
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sum) {
		return nil, ErrFernetAuth
	}
	iv := body[9 : 9+aes.BlockSize]
	ct := body[9+aes.BlockSize:]
	if len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: ciphertext is not whole blocks", ErrFernetToken)
	}
	block, err := aes.NewCipher(key.enc)
	if err != nil {
		return nil, err
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
	pad := int(pt[len(pt)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, fmt.Errorf("%w: bad padding", ErrFernetToken)
	}
	for _, b := range pt[len(pt)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: bad padding", ErrFernetToken)
		}
	}
	return pt[:len(pt)-pad], nil
}
