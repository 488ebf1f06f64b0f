package googleauth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/secret"
	"github.com/gwmcp/gwmcp/internal/upstream"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

type fakeUpstream struct {
	tok upstream.Tokens
	err error
}

func (f fakeUpstream) Refresh(context.Context, secret.String) (upstream.Tokens, error) {
	return f.tok, f.err
}

func TestRefresherMapsErrors(t *testing.T) {
	exp := time.Now().Add(time.Hour)
	tests := []struct {
		name    string
		up      fakeUpstream
		wantErr error
		rotated bool
	}{
		{"revoked", fakeUpstream{err: &upstream.Error{Kind: upstream.ErrInvalidGrant}}, workspace.ErrReauthRequired, false},
		{"outage", fakeUpstream{err: &upstream.Error{Kind: upstream.ErrUnavailable, Temporary: true}}, workspace.ErrUnavailable, false},
		{"same refresh token", fakeUpstream{tok: upstream.Tokens{AccessToken: secret.New("a"), RefreshToken: secret.New("r"), Expiry: exp}}, nil, false},
		{"rotated", fakeUpstream{tok: upstream.Tokens{AccessToken: secret.New("a"), RefreshToken: secret.New("r2"), Expiry: exp}}, nil, true},
	}
	for _, tt := range tests {
		tok, err := Refresher(tt.up).Refresh(context.Background(), secret.New("r"))
		if !errors.Is(err, tt.wantErr) && !(tt.wantErr == nil && err == nil) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.wantErr)
		}
		if tt.wantErr == nil && (tok.AccessToken.Reveal() != "a" || (tok.RefreshToken.Reveal() == "r2") != tt.rotated) {
			t.Errorf("%s: token %+v", tt.name, tok)
		}
	}
}
