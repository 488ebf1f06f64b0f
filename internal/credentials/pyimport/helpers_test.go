package pyimport

import (
	"bytes"
	"testing"

	"github.com/gwmcp/gwmcp/internal/seal"
)

func testKeyring(t *testing.T) *seal.Keyring {
	t.Helper()
	k, err := seal.NewKeyring(bytes.Repeat([]byte{9}, seal.KeySize), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
