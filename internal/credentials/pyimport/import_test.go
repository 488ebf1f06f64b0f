package pyimport

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/secret"
)

const clientSecret = "GOCSPX-must-never-be-imported"

// pyJSON is a credential as the Python server serializes it.
func pyJSON(n int, email string) []byte {
	m := map[string]any{
		"token":         fmt.Sprintf("ya29.access-%d", n),
		"refresh_token": fmt.Sprintf("1//refresh-%d", n),
		"token_uri":     "https://oauth2.googleapis.com/token",
		"client_id":     "123.apps.googleusercontent.com",
		"client_secret": clientSecret,
		"scopes":        []string{"openid", "https://www.googleapis.com/auth/gmail.readonly"},
		"expiry":        fmt.Sprintf("2025-06-%02dT10:00:00.000123", n),
		"encrypted_at":  "2025-06-01T09:00:00",
	}
	if email != "" {
		m["user_email"] = email
	}
	b, _ := json.Marshal(m)
	return b
}

// pyServerKey mimics how the Python server encrypts a legacy .enc file:
// base64url(Fernet(key).encrypt(json)).
func pyLegacyEnc(t *testing.T, keyText string, plain []byte) []byte {
	tok := fernetEncrypt(t, keyText, plain, 1700000000, testIV)
	return []byte(base64.URLEncoding.EncodeToString([]byte(tok)))
}

// pyEnvelope mimics the Python server's per-user envelope for the given recipients.
func pyEnvelope(t *testing.T, serverSecret []byte, plain []byte, recipients ...string) []byte {
	cek := fernetKeyText(0x42)
	data := fernetEncrypt(t, cek, plain, 1700000000, testIV)
	env := map[string]any{"v": 2, "enc": "per_user", "data": base64.URLEncoding.EncodeToString([]byte(data)), "hmac": "not-checked"}
	recs := map[string]string{}
	for _, r := range recipients {
		wk, err := hkdf.Key(sha256.New, []byte(r), serverSecret, "per-user-credential-encryption-v1", 32)
		if err != nil {
			t.Fatal(err)
		}
		wrapped := fernetEncrypt(t, base64.URLEncoding.EncodeToString(wk), []byte(cek), 1700000000, testIV)
		kid := sha256.Sum256([]byte(r))
		recs[hex.EncodeToString(kid[:])] = base64.URLEncoding.EncodeToString([]byte(wrapped))
	}
	env["recipients"] = recs
	b, _ := json.Marshal(env)
	return b
}

func oauthRecipient(serverSecret []byte, sub string) string {
	sum := sha256.Sum256([]byte(string(serverSecret) + ":oauth-identity-recipient-v2:" + sub))
	return hex.EncodeToString(sum[:])
}

type fixture struct {
	dir       string
	apiKey    string
	userKey   string
	serverKey string
}

// buildPythonDir writes a credentials directory as the Python server leaves it.
func buildPythonDir(t *testing.T) fixture {
	dir := t.TempDir()
	fx := fixture{dir: dir, apiKey: "mcp-api-key-123", userKey: "per-user-key-abc", serverKey: fernetKeyText(7)}
	server := []byte(fx.serverKey)
	put := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	put(".auth_encryption_key", server)
	// Linkage prefs (encrypted as the Python server does) give erin's Google sub.
	prefs, _ := json.Marshal(map[string]any{"erin@example.com": map[string]any{"enabled": true, "has_password": false, "google_sub": "sub-erin"}})
	lk, _ := hkdf.Key(sha256.New, server, []byte("oauth-linkage-prefs-salt-v1"), "oauth-linkage-prefs-encryption-v1", 32)
	put(".oauth_linkage_prefs.json", []byte(fernetEncrypt(t, base64.URLEncoding.EncodeToString(lk), prefs, 1, testIV)))
	put(".oauth_authentication.json", []byte(`{"authenticated_email":"alice@example.com"}`))

	put("alice_at_example_com_credentials.json", pyJSON(1, "Alice@example.com"))
	put("bob_smith_at_example_com_credentials.enc", pyLegacyEnc(t, fx.serverKey, pyJSON(2, "")))
	put("carol_at_example_com_backup.enc", pyLegacyEnc(t, fx.serverKey, pyJSON(3, "")))
	put("carol_at_example_com_credentials.enc", pyLegacyEnc(t, fx.serverKey, pyJSON(4, ""))) // newer expiry
	apiDerived, _ := hkdf.Key(sha256.New, []byte(fx.apiKey), []byte("mcp-google-workspace-v1"), "credential-encryption", 32)
	put("dave_at_example_com_credentials.enc", pyLegacyEnc(t, base64.URLEncoding.EncodeToString(apiDerived), pyJSON(5, "")))
	put("erin_at_example_com_credentials.enc", pyEnvelope(t, server, pyJSON(6, ""), oauthRecipient(server, "sub-erin")))
	put("frank_at_example_com_credentials.enc", pyEnvelope(t, server, pyJSON(7, ""), fx.userKey))
	put("garbage_at_example_com_credentials.enc", []byte("this is not a token"))
	put("tampered_at_example_com_credentials.enc", tamper(t, pyLegacyEnc(t, fx.serverKey, pyJSON(8, ""))))
	put("empty_at_example_com_credentials.json", nil)
	if err := os.Mkdir(filepath.Join(dir, "dir_at_example_com_credentials.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	return fx
}

// tamper flips one ciphertext bit inside a legacy .enc file.
func tamper(t *testing.T, enc []byte) []byte {
	inner, err := base64.URLEncoding.DecodeString(string(enc))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.URLEncoding.DecodeString(string(inner))
	if err != nil {
		t.Fatal(err)
	}
	raw[40] ^= 1
	return []byte(base64.URLEncoding.EncodeToString([]byte(base64.URLEncoding.EncodeToString(raw))))
}

type snapshot map[string]string

func snap(t *testing.T, dir string) snapshot {
	s := snapshot{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		fi, _ := e.Info()
		content := ""
		if !e.IsDir() {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			content = string(b)
		}
		s[e.Name()] = fmt.Sprintf("%v|%v|%s", fi.Mode(), fi.ModTime().UnixNano(), content)
	}
	return s
}

func TestImportPythonServerDirectory(t *testing.T) {
	tests := []struct {
		name     string
		opts     func(fx fixture) Options
		emails   []string
		problems map[string]error
	}{
		{
			name:   "key file only",
			opts:   func(fx fixture) Options { return Options{Dir: fx.dir} },
			emails: []string{"alice@example.com", "bob.smith@example.com", "carol@example.com", "erin@example.com"},
			problems: map[string]error{
				"dave_at_example_com_credentials.enc":     ErrNoKey,
				"frank_at_example_com_credentials.enc":    ErrPerUserSealed,
				"garbage_at_example_com_credentials.enc":  ErrFernetToken,
				"tampered_at_example_com_credentials.enc": ErrFernetAuth,
				"empty_at_example_com_credentials.json":   nil,
				"dir_at_example_com_credentials.json":     ErrNotRegularFile,
			},
		},
		{
			name: "with MCP_API_KEY and a per-user key",
			opts: func(fx fixture) Options {
				return Options{Dir: fx.dir, MCPAPIKey: secret.New(fx.apiKey), UserAPIKeys: []secret.String{secret.New(fx.userKey)}}
			},
			emails: []string{"alice@example.com", "bob.smith@example.com", "carol@example.com", "dave@example.com", "erin@example.com", "frank@example.com"},
			problems: map[string]error{
				"garbage_at_example_com_credentials.enc":  ErrFernetToken,
				"tampered_at_example_com_credentials.enc": ErrFernetAuth,
				"empty_at_example_com_credentials.json":   nil,
				"dir_at_example_com_credentials.json":     ErrNotRegularFile,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := buildPythonDir(t)
			before := snap(t, fx.dir)
			res, err := Import(context.Background(), tt.opts(fx))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, im := range res.Credentials {
				got = append(got, im.Credential.Email)
			}
			if strings.Join(got, ",") != strings.Join(tt.emails, ",") {
				t.Fatalf("imported %v, want %v", got, tt.emails)
			}
			if len(res.Problems) != len(tt.problems) {
				t.Fatalf("problems %v", res.Problems)
			}
			for _, p := range res.Problems {
				want, ok := tt.problems[filepath.Base(p.Path)]
				if !ok || (want != nil && !errors.Is(p.Err, want)) {
					t.Errorf("problem %s: %v (want %v)", filepath.Base(p.Path), p.Err, want)
				}
			}
			if len(res.Superseded) != 1 || filepath.Base(res.Superseded[0]) != "carol_at_example_com_backup.enc" {
				t.Fatalf("superseded %v", res.Superseded)
			}
			for _, im := range res.Credentials {
				c := im.Credential
				n := map[string]int{"alice@example.com": 1, "bob.smith@example.com": 2, "carol@example.com": 4, "dave@example.com": 5, "erin@example.com": 6, "frank@example.com": 7}[c.Email]
				if c.RefreshToken.Reveal() != fmt.Sprintf("1//refresh-%d", n) || c.AccessToken.Reveal() != fmt.Sprintf("ya29.access-%d", n) ||
					c.ClientID != "123.apps.googleusercontent.com" || len(c.Scopes) != 2 || c.Expiry.Day() != n {
					t.Errorf("%s: wrong content %+v", c.Email, c)
				}
				if strings.Contains(fmt.Sprintf("%#v %s %s", c, c.AccessToken.Reveal(), c.RefreshToken.Reveal()), clientSecret) {
					t.Errorf("%s: client secret imported", c.Email)
				}
				wantGuess := c.Email != "alice@example.com" && c.Email != "erin@example.com"
				if im.EmailFromFileName != wantGuess {
					t.Errorf("%s: EmailFromFileName = %v", c.Email, im.EmailFromFileName)
				}
				if (c.Subject == "sub-erin") != (c.Email == "erin@example.com") {
					t.Errorf("%s: subject %q", c.Email, c.Subject)
				}
			}
			if after := snap(t, fx.dir); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatal("Import changed the source directory")
			}
		})
	}
}

func TestImportedCredentialsCanBeStored(t *testing.T) {
	fx := buildPythonDir(t)
	res, err := Import(context.Background(), Options{Dir: fx.dir})
	if err != nil {
		t.Fatal(err)
	}
	kr := testKeyring(t)
	s, err := credentials.Open(credentials.Options{Dir: t.TempDir(), Mode: credentials.FileEncrypted, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, im := range res.Credentials {
		if err := s.Put(context.Background(), im.Credential); err != nil {
			t.Fatal(err)
		}
	}
	list, problems, err := s.List(context.Background())
	if err != nil || len(problems) != 0 || len(list) != len(res.Credentials) {
		t.Fatalf("stored %d of %d: %v %v", len(list), len(res.Credentials), problems, err)
	}
}

func TestImportRefusesNonDirectoryAndGwmcpFiles(t *testing.T) {
	if _, err := Import(context.Background(), Options{Dir: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("missing directory accepted")
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := Import(context.Background(), Options{Dir: f}); !errors.Is(err, ErrNotADirectory) {
		t.Fatalf("file as directory: %v", err)
	}
	// A gwmcp directory is recognised rather than reported as damaged.
	dir := t.TempDir()
	s, err := credentials.Open(credentials.Options{Dir: dir, Mode: credentials.FileEncrypted, Keyring: testKeyring(t)})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := ParseAuthorizedUser(pyJSON(1, "a@example.com"))
	if err := s.Put(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	s.Close()
	res, err := Import(context.Background(), Options{Dir: dir})
	if err != nil || len(res.Problems) != 1 || !errors.Is(res.Problems[0].Err, ErrGwmcpFile) {
		t.Fatalf("gwmcp dir: %+v, %v", res, err)
	}
}

func TestEmailFromSafeName(t *testing.T) {
	tests := map[string]string{
		"alice_at_example_com":       "alice@example.com",
		"first_last_at_mail_co_uk":   "first.last@mail.co.uk",
		"x_at_y_at_example_com":      "x.at.y@example.com",
		"user+tag_at_example_com":    "user+tag@example.com",
		"no-at-sign":                 "no-at-sign",
		"upper_case+tag_at_domain_j": "upper.case+tag@domain.j",
	}
	for in, want := range tests {
		if got := emailFromSafeName(in); got != want {
			t.Errorf("emailFromSafeName(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(want, "@") && credentials.SafeName(want) != in {
			t.Errorf("SafeName(%q) does not give back %q", want, in)
		}
	}
}
