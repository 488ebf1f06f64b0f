// Package upstream owns gwmcp's client of the upstream OpenID provider: Google by
// default, or any provider named by its issuer whose endpoints come from its
// discovery document.
//
// A [Provider] builds authorization URLs (always PKCE S256, always the openid,
// email and profile scopes), exchanges codes, refreshes and revokes tokens at the
// provider, and verifies the provider's ID tokens (signature against the JWKS,
// issuer, audience, expiry and nonce). It also verifies ID tokens that
// server-to-server callers present (flow 4 of the design).
//
// Discovery is lazy: the first call that needs an endpoint fetches the discovery
// document and the JWKS and caches them for the life of the Provider; a failed
// discovery is not cached, so the next call tries again. Signing keys are
// re-fetched when a token names a key id the cache lacks (at most once a minute).
//
// Every failure is an [*Error] that matches one of the sentinels with errors.Is:
// [ErrInvalidGrant], [ErrUnavailable], [ErrInvalidIDToken], [ErrDiscovery],
// [ErrInvalidClient] or [ErrRejected]. Error strings may carry the provider's
// OAuth error code and HTTP status but never a response body, a token, a code,
// a verifier or the client secret.
//
// The package also reads Google's client_secret.json ([LoadClientSecretsFile]).
package upstream
