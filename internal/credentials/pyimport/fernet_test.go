package pyimport

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"testing"
)

// fernetEncrypt is a test-only Fernet encoder (the spec's generate side), used to build
// fixtures as the Python server would have written them.
func fernetEncrypt(t testing.TB, keyText string, plaintext []byte, ts uint64, iv []byte) string {
	t.Helper()
	k, err := parseFernetKey([]byte(keyText))
	if err != nil {
		t.Fatal(err)
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	padded := append(bytes.Clone(plaintext), bytes.Repeat([]byte{byte(pad)}, pad)...)
	block, _ := aes.NewCipher(k.enc)
	ct := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, padded)
	tok := []byte{fernetVersion}
	tok = binary.BigEndian.AppendUint64(tok, ts)
	tok = append(tok, iv...)
	tok = append(tok, ct...)
	mac := hmac.New(sha256.New, k.sign)
	mac.Write(tok)
	tok = mac.Sum(tok)
	return base64.URLEncoding.EncodeToString(tok)
}

func fernetKeyText(b byte) string {
	return base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

var testIV = []byte("0123456789abcdef")

func TestFernetSpecVector(t *testing.T) {
	// From the Fernet specification's generate.json.
	key := "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	token := "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="
	k, err := parseFernetKey([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := fernetDecrypt(k, []byte(token))
	if err != nil || string(pt) != "hello" {
		t.Fatalf("decrypt = %q, %v", pt, err)
	}
	iv := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	if got := fernetEncrypt(t, key, []byte("hello"), 499162800, iv); got != token {
		t.Fatalf("test encoder = %s", got)
	}
}

func TestFernetRoundTripAndErrors(t *testing.T) {
	key := fernetKeyText(1)
	k, _ := parseFernetKey([]byte(key))
	for _, n := range []int{0, 1, 15, 16, 17, 1000} {
		pt := bytes.Repeat([]byte("p"), n)
		tok := fernetEncrypt(t, key, pt, 1, testIV)
		got, err := fernetDecrypt(k, []byte(tok))
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%d bytes: %v", n, err)
		}
	}
	good := fernetEncrypt(t, key, []byte("secret"), 1, testIV)
	raw, _ := base64.URLEncoding.DecodeString(good)
	flipAt := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 1
		return base64.URLEncoding.EncodeToString(b)
	}
	other, _ := parseFernetKey([]byte(fernetKeyText(2)))
	tests := []struct {
		name  string
		key   fernetKey
		token string
		want  error
	}{
		{"unpadded is fine", k, base64.RawURLEncoding.EncodeToString(raw), nil},
		{"surrounding space is fine", k, "\n " + good + "\n", nil},
		{"wrong key", other, good, ErrFernetAuth},
		{"flipped ciphertext", k, flipAt(30), ErrFernetAuth},
		{"flipped hmac", k, flipAt(len(raw) - 1), ErrFernetAuth},
		{"flipped timestamp", k, flipAt(3), ErrFernetAuth},
		{"bad version", k, flipAt(0), ErrFernetToken},
		{"truncated", k, base64.URLEncoding.EncodeToString(raw[:50]), ErrFernetToken},
		{"not base64", k, "gAAAA***", ErrFernetToken},
		{"empty", k, "", ErrFernetToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt, err := fernetDecrypt(tt.key, []byte(tt.token))
			if tt.want == nil {
				if err != nil || string(pt) != "secret" {
					t.Fatalf("%q, %v", pt, err)
				}
				return
			}
			if !errors.Is(err, tt.want) || pt != nil {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseFernetKey(t *testing.T) {
	for _, in := range []string{"", "short", base64.URLEncoding.EncodeToString(make([]byte, 16)), "***"} {
		if _, err := parseFernetKey([]byte(in)); !errors.Is(err, ErrFernetKey) {
			t.Errorf("%q: %v", in, err)
		}
	}
	if _, err := parseFernetKey([]byte(fernetKeyText(1) + "\n")); err != nil {
		t.Error(err)
	}
}

func FuzzFernetDecrypt(f *testing.F) {
	key := fernetKeyText(4)
	k, _ := parseFernetKey([]byte(key))
	valid := map[string]bool{}
	for i, pt := range []string{"", "x", `{"token":"a","refresh_token":"b"}`} {
		tok := fernetEncrypt(f, key, []byte(pt), uint64(i), testIV)
		raw, _ := base64.URLEncoding.DecodeString(tok)
		valid[string(raw)] = true
		f.Add([]byte(tok))
	}
	f.Add([]byte("gAAAAA"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, token []byte) {
		pt, err := fernetDecrypt(k, token)
		if err != nil {
			if pt != nil {
				t.Fatal("plaintext with an error")
			}
			return
		}
		raw, derr := decodeBase64URL(token)
		if derr != nil || !valid[string(raw)] {
			t.Fatalf("decrypted a token that was never made: %q", token)
		}
	})
}
