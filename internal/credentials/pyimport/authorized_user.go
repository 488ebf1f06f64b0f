package pyimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/secret"
)

// Errors of the credential parser.
var (
	ErrNotCredential = errors.New("not a google-auth credential")
	ErrNoTokens      = errors.New("the credential has neither a refresh token nor an access token")
)

// pyCredential is the JSON the Python server writes (google-auth's authorized-user
// fields plus its own): token, refresh_token, token_uri, client_id, client_secret,
// scopes, expiry, and user_email / saved_at / encrypted_at / storage_mode. Files written
// by google-auth's Credentials.to_json also carry type and account.
type pyCredential struct {
	Token        *string         `json:"token"`
	AccessToken  *string         `json:"access_token"`
	RefreshToken *string         `json:"refresh_token"`
	ClientID     *string         `json:"client_id"`
	ClientSecret json.RawMessage `json:"client_secret"` // read only to be dropped
	Scopes       json.RawMessage `json:"scopes"`
	Expiry       *string         `json:"expiry"`
	UserEmail    *string         `json:"user_email"`
	Account      *string         `json:"account"`
	Type         *string         `json:"type"`
}

// ParseAuthorizedUser reads a google-auth authorized-user JSON credential as the Python
// server stores it (plain, or the plaintext inside its encrypted files). Email is empty
// when the file does not name the account; the client secret is never kept.
func ParseAuthorizedUser(data []byte) (credentials.Credential, error) {
	var p pyCredential
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&p); err != nil {
		return credentials.Credential{}, fmt.Errorf("%w: %v", ErrNotCredential, err)
	}
	if p.Type != nil && *p.Type != "" && *p.Type != "authorized_user" {
		return credentials.Credential{}, fmt.Errorf("%w: type %q (only user credentials can be imported)", ErrNotCredential, *p.Type)
	}
	access := str(p.Token)
	if access == "" {
		access = str(p.AccessToken)
	}
	c := credentials.Credential{
		RefreshToken: secret.New(str(p.RefreshToken)),
		AccessToken:  secret.New(access),
		ClientID:     str(p.ClientID),
	}
	if c.RefreshToken.IsZero() && c.AccessToken.IsZero() {
		return credentials.Credential{}, ErrNoTokens
	}
	if !c.AccessToken.IsZero() {
		c.TokenType = "Bearer"
	}
	scopes, err := parseScopes(p.Scopes)
	if err != nil {
		return credentials.Credential{}, err
	}
	c.Scopes = scopes
	if e := str(p.Expiry); e != "" {
		t, err := parseExpiry(e)
		if err != nil {
			return credentials.Credential{}, err
		}
		c.Expiry = t
	}
	for _, e := range []string{str(p.UserEmail), str(p.Account)} {
		if e != "" && credentials.ValidateEmail(e) == nil {
			c.Email = credentials.NormalizeEmail(e)
			break
		}
	}
	return c, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// parseScopes accepts a JSON list of strings, a space-separated string, or null.
func parseScopes(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		var out []string
		for _, s := range list {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.Fields(s), nil
	}
	return nil, fmt.Errorf("%w: scopes is neither a list nor a string", ErrNotCredential)
}

// parseExpiry reads Python's datetime.isoformat (naive values are UTC, as google-auth
// means them) and RFC 3339.
func parseExpiry(s string) (time.Time, error) {
	layouts := []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: expiry %q is not a date", ErrNotCredential, s)
}
