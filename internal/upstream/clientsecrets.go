package upstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/gwmcp/gwmcp/internal/secret"
)

// ClientSecrets is the content of Google's client_secret.json.
type ClientSecrets struct {
	// Kind is "web" or "installed" (a Desktop app client).
	Kind         string
	ClientID     string
	ClientSecret secret.String
	RedirectURIs []string
	AuthURI      string
	TokenURI     string
	ProjectID    string
}

// clientSecretsSection is one of the file's top-level objects.
type clientSecretsSection struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	RedirectURIs []string `json:"redirect_uris"`
	AuthURI      string   `json:"auth_uri"`
	TokenURI     string   `json:"token_uri"`
	ProjectID    string   `json:"project_id"`
}

// maxClientSecretsSize bounds the file (Google's are under 1 KiB).
const maxClientSecretsSize = 1 << 20

// LoadClientSecretsFile reads Google's client_secret.json, whose one
// top-level key is "web" or "installed". Errors name the file and what is
// wrong (missing file, bad JSON, missing field) and never quote the file's
// content; a missing file matches fs.ErrNotExist.
func LoadClientSecretsFile(path string) (ClientSecrets, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("upstream: client secrets file %q: "+format, append([]any{path}, args...)...)
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ClientSecrets{}, fail("not found: %w", fs.ErrNotExist)
	case err != nil:
		return ClientSecrets{}, fail("cannot read: %w", errors.Unwrap(err))
	case info.IsDir():
		return ClientSecrets{}, fail("is a directory")
	case info.Size() > maxClientSecretsSize:
		return ClientSecrets{}, fail("larger than %d bytes", maxClientSecretsSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ClientSecrets{}, fail("cannot read: %w", errors.Unwrap(err))
	}
	var file map[string]json.RawMessage
	if err := json.Unmarshal(data, &file); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return ClientSecrets{}, fail("not valid JSON (at byte %d)", syn.Offset)
		}
		return ClientSecrets{}, fail("not a JSON object")
	}
	web, hasWeb := file["web"]
	inst, hasInst := file["installed"]
	var kind string
	var raw json.RawMessage
	switch {
	case hasWeb && hasInst:
		return ClientSecrets{}, fail(`has both "web" and "installed"; keep one`)
	case hasWeb:
		kind, raw = "web", web
	case hasInst:
		kind, raw = "installed", inst
	default:
		return ClientSecrets{}, fail(`has neither a "web" nor an "installed" client; download it again from the Google Cloud console (APIs & Services > Credentials)`)
	}
	var s clientSecretsSection
	if err := json.Unmarshal(raw, &s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return ClientSecrets{}, fail("%q: field %s has the wrong type", kind, te.Field)
		}
		return ClientSecrets{}, fail("%q is not a JSON object of client settings", kind)
	}
	var missing []string
	if strings.TrimSpace(s.ClientID) == "" {
		missing = append(missing, "client_id")
	}
	if strings.TrimSpace(s.ClientSecret) == "" {
		missing = append(missing, "client_secret")
	}
	if len(missing) > 0 {
		return ClientSecrets{}, fail("%q lacks %s", kind, strings.Join(missing, " and "))
	}
	return ClientSecrets{
		Kind:         kind,
		ClientID:     strings.TrimSpace(s.ClientID),
		ClientSecret: secret.New(strings.TrimSpace(s.ClientSecret)),
		RedirectURIs: s.RedirectURIs,
		AuthURI:      s.AuthURI,
		TokenURI:     s.TokenURI,
		ProjectID:    s.ProjectID,
	}, nil
}
