package upstream

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadClientSecretsFile(t *testing.T) {
	const secretValue = "GOCSPX-file-secret-9f8e7d"
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string // "-" = no file
		want    ClientSecrets
		wantErr string
	}{
		{"web", `{"web":{"client_id":"123.apps.googleusercontent.com","project_id":"proj","auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token","client_secret":"` + secretValue + `","redirect_uris":["http://localhost:8002/oauth2callback"]}}`,
			ClientSecrets{Kind: "web", ClientID: "123.apps.googleusercontent.com", ProjectID: "proj",
				AuthURI: "https://accounts.google.com/o/oauth2/auth", TokenURI: "https://oauth2.googleapis.com/token",
				RedirectURIs: []string{"http://localhost:8002/oauth2callback"}}, ""},
		{"installed", `{"installed":{"client_id":"456.apps.googleusercontent.com","client_secret":"` + secretValue + `","redirect_uris":["http://localhost"]}}`,
			ClientSecrets{Kind: "installed", ClientID: "456.apps.googleusercontent.com",
				RedirectURIs: []string{"http://localhost"}}, ""},
		{"missing file", "-", ClientSecrets{}, "not found"},
		{"bad JSON", `{"web":{"client_id":"x","client_secret":"` + secretValue + `"`, ClientSecrets{}, "not valid JSON"},
		{"not an object", `["` + secretValue + `"]`, ClientSecrets{}, "not a JSON object"},
		{"neither web nor installed", `{"service_account":{"client_secret":"` + secretValue + `"}}`, ClientSecrets{}, `neither a "web" nor an "installed"`},
		{"both", `{"web":{"client_id":"a","client_secret":"` + secretValue + `"},"installed":{"client_id":"b","client_secret":"` + secretValue + `"}}`, ClientSecrets{}, "both"},
		{"missing client_id", `{"web":{"client_secret":"` + secretValue + `"}}`, ClientSecrets{}, "lacks client_id"},
		{"missing client_secret", `{"installed":{"client_id":"x"}}`, ClientSecrets{}, "lacks client_secret"},
		{"missing both", `{"web":{}}`, ClientSecrets{}, "lacks client_id and client_secret"},
		{"wrong type", `{"web":{"client_id":"x","client_secret":"` + secretValue + `","redirect_uris":"` + secretValue + `"}}`, ClientSecrets{}, "wrong type"},
		{"section not an object", `{"web":"` + secretValue + `"}`, ClientSecrets{}, "not a JSON object"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "client_secret_"+string(rune('a'+i))+".json")
			if tt.content != "-" {
				if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LoadClientSecretsFile(path)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("no error, got %+v", got)
				}
				msg := err.Error()
				if !strings.Contains(msg, tt.wantErr) || !strings.Contains(msg, path) {
					t.Errorf("error %q should contain %q and name the file", msg, tt.wantErr)
				}
				if strings.Contains(msg, secretValue) {
					t.Errorf("error leaks the secret: %s", msg)
				}
				if tt.content == "-" && !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("missing file error does not match fs.ErrNotExist: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ClientSecret.Reveal() != secretValue {
				t.Error("client secret not read")
			}
			got.ClientSecret = tt.want.ClientSecret
			if got.Kind != tt.want.Kind || got.ClientID != tt.want.ClientID || got.ProjectID != tt.want.ProjectID ||
				got.AuthURI != tt.want.AuthURI || got.TokenURI != tt.want.TokenURI ||
				!slices.Equal(got.RedirectURIs, tt.want.RedirectURIs) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		if _, err := LoadClientSecretsFile(dir); err == nil || !strings.Contains(err.Error(), "directory") {
			t.Errorf("err = %v", err)
		}
	})
}
