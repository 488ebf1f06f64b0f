package pyimport

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseAuthorizedUser(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    error
		email   string
		scopes  []string
		expiry  time.Time
		access  string
		refresh string
	}{
		{
			name:    "python server plaintext file",
			in:      `{"token":"ya29.a","refresh_token":"1//r","token_uri":"https://oauth2.googleapis.com/token","client_id":"cid","client_secret":"GOCSPX-secret","scopes":["openid","email"],"expiry":"2025-06-01T10:20:30.123456","saved_at":"2025-06-01T09:20:30","user_email":"Alice@Example.com"}`,
			email:   "alice@example.com",
			scopes:  []string{"openid", "email"},
			expiry:  time.Date(2025, 6, 1, 10, 20, 30, 123456000, time.UTC),
			access:  "ya29.a",
			refresh: "1//r",
		},
		{
			name:    "google-auth to_json",
			in:      `{"token": "ya29.b", "refresh_token": "1//s", "token_uri": "https://oauth2.googleapis.com/token", "client_id": "cid", "client_secret": "x", "scopes": ["https://www.googleapis.com/auth/drive"], "universe_domain": "googleapis.com", "account": "", "expiry": "2025-06-01T10:20:30Z", "type": "authorized_user"}`,
			scopes:  []string{"https://www.googleapis.com/auth/drive"},
			expiry:  time.Date(2025, 6, 1, 10, 20, 30, 0, time.UTC),
			access:  "ya29.b",
			refresh: "1//s",
		},
		{
			name:    "offset expiry, space-separated scopes, no access token",
			in:      `{"refresh_token":"1//t","scopes":"openid  email","expiry":"2025-06-01T12:20:30+02:00"}`,
			scopes:  []string{"openid", "email"},
			expiry:  time.Date(2025, 6, 1, 10, 20, 30, 0, time.UTC),
			refresh: "1//t",
		},
		{
			name:   "null expiry and scopes",
			in:     `{"token":"ya29.c","refresh_token":null,"expiry":null,"scopes":null}`,
			access: "ya29.c",
		},
		{name: "no tokens", in: `{"client_id":"x","client_secret":"y"}`, want: ErrNoTokens},
		{name: "empty tokens", in: `{"token":" ","refresh_token":""}`, want: ErrNoTokens},
		{name: "service account", in: `{"type":"service_account","token":"x"}`, want: ErrNotCredential},
		{name: "not json", in: `gAAAAAB`, want: ErrNotCredential},
		{name: "json array", in: `[1,2]`, want: ErrNotCredential},
		{name: "bad expiry", in: `{"token":"x","expiry":"tomorrow"}`, want: ErrNotCredential},
		{name: "bad scopes", in: `{"token":"x","scopes":{"a":1}}`, want: ErrNotCredential},
		{name: "wrong type token", in: `{"token":5}`, want: ErrNotCredential},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseAuthorizedUser([]byte(tt.in))
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Email != tt.email || !slices.Equal(c.Scopes, tt.scopes) || !c.Expiry.Equal(tt.expiry) ||
				c.AccessToken.Reveal() != tt.access || c.RefreshToken.Reveal() != tt.refresh {
				t.Fatalf("got %+v (access %q refresh %q)", c, c.AccessToken.Reveal(), c.RefreshToken.Reveal())
			}
			if strings.Contains(fmt.Sprintf("%#v", c), "secret") && strings.Contains(tt.in, "GOCSPX") {
				t.Fatal("client secret kept")
			}
		})
	}
}

func FuzzParseAuthorizedUser(f *testing.F) {
	f.Add([]byte(`{"token":"ya29.a","refresh_token":"1//r","client_id":"c","client_secret":"s","scopes":["openid"],"expiry":"2025-06-01T10:20:30.123456","user_email":"a@b.c"}`))
	f.Add([]byte(`{"refresh_token":"r","scopes":"a b","expiry":"2025-06-01T10:20:30Z","type":"authorized_user"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseAuthorizedUser(data)
		if err != nil {
			return
		}
		if c.RefreshToken.IsZero() && c.AccessToken.IsZero() {
			t.Fatal("accepted a credential without tokens")
		}
		if c.Email != "" && c.Email != strings.ToLower(c.Email) {
			t.Fatal("address not normalized")
		}
		for _, s := range c.Scopes {
			if s == "" {
				t.Fatal("empty scope")
			}
		}
	})
}
