package upstream

import (
	"testing"
)

func BenchmarkAuthCodeURL(b *testing.B) {
	h := newHarness(b)
	p := h.provider()
	_, challenge := h.pkce()
	r := AuthRequest{State: "state", Nonce: "nonce", CodeChallenge: challenge, Offline: true,
		Scopes: []string{scopeDriveRO}, LoginHint: alice}
	if _, err := p.AuthCodeURL(b.Context(), r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.AuthCodeURL(b.Context(), r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyIDToken(b *testing.B) {
	h := newHarness(b)
	p := h.provider()
	raw, err := h.sb.MintIDToken(alice, serverAudience, 0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.VerifyIDToken(b.Context(), raw, serverAudience); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.VerifyIDToken(b.Context(), raw, serverAudience); err != nil {
			b.Fatal(err)
		}
	}
}
