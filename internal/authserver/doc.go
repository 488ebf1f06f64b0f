// Package authserver owns gwmcp's OAuth 2.1 authorization server facade and the
// protected-resource side of /mcp.
//
// gwmcp is both the MCP protected resource and, for MCP clients, the authorization
// server: it registers clients itself (RFC 7591/7592, or client ID metadata documents),
// shows its own consent page, sends the person to the upstream OpenID provider (Google)
// for login, and hands the client tokens of its own. No upstream token, ID token or
// upstream issuer ever reaches an MCP client.
//
// What lives here:
//
//   - discovery: protected resource metadata (RFC 9728), authorization server metadata
//     (RFC 8414, also served as OpenID discovery) and the JWKS;
//   - clients: dynamic registration and management, client ID metadata documents
//     (fetched by the SSRF-safe subpackage cimd), redirect URI rules;
//   - the authorization endpoint with its consent page, and the upstream callback;
//   - the token endpoint (authorization_code with PKCE S256, refresh_token with rotation
//     and reuse detection) and revocation (RFC 7009);
//   - signing keys (ES256, stored in the store, rotated) and access tokens (RFC 9068 JWTs);
//   - RequireBearer, the middleware that guards /mcp, with a verified-token cache that
//     never weakens revocation.
//
// All state lives in a store.Store, so a restart loses nothing and replicas sharing a
// Redis store agree on clients, codes, grants, refresh tokens and keys. Keys derived
// from secrets (codes, tokens, states, cookies) are SHA-256 hashes; the store should be
// a store.Sealed wrapper so that values (signing keys, upstream PKCE verifiers) are
// encrypted at rest.
//
// The package defines the small interfaces it needs from the rest of gwmcp (Upstream,
// Accounts) and imports internal/upstream only for its request and token types. It
// never imports the tool, workspace, credentials or app packages.
//
// # Decisions
//
// Redirect URIs (see redirect.go): https anywhere except gwmcp's own origin; http only
// on 127.0.0.1, [::1] or localhost; private-use schemes for native apps when the scheme
// is a reverse-DNS name (com.example.app:/cb, RFC 8252 section 7.1) or another custom
// scheme that is not on a deny list of browser-dangerous and well-known schemes
// (javascript, data, file, vbscript, about, blob, ...), so that cursor:// works. Never a
// fragment, user info, backslash, whitespace or control character. Matching is exact
// string comparison, except that a registered http loopback URI matches the same URI
// with any port (RFC 8252 section 7.3).
//
// Resource indicators (RFC 8707): optional; when present it must be Config.Resource
// exactly or with one trailing slash; anything else (the bare BASE_URL included) is
// invalid_target. Tokens always carry aud = Config.Resource.
//
// Refresh tokens rotate on every use. A token already rotated is honoured again within
// RefreshGrace with a sibling successor in the same family (the successor itself cannot
// be returned again: tokens are stored hashed only); after the grace window its use
// revokes the whole family. When the upstream is unavailable the token endpoint answers
// 503 with {"error":"temporarily_unavailable"} and Retry-After, and nothing rotates.
//
// Revoking an access token revokes that token only, until it expires; revoking a refresh
// token revokes its whole family (every access and refresh token of that grant).
//
// Authorization codes are marked used atomically (store.Update) rather than taken: of
// any number of concurrent redemptions exactly one wins, and the used record stays until
// CodeTTL as the tombstone whose second redemption revokes the grant. A failed redemption
// (wrong verifier, client or redirect URI) burns the code, so verifiers cannot be guessed.
//
// Registration: token_endpoint_auth_method defaults to none (a public client);
// grant_types defaults to authorization_code and refresh_token (RFC 7591 says
// authorization_code only; MCP clients expect refresh tokens). Past MaxClients the answer
// is 503 temporarily_unavailable with Retry-After (the cap counter is corrected by a
// recount when it says full, because expired registrations do not decrement it); past
// the per-address rate limit it is 429 with Retry-After. Client metadata documents are
// cached per Cache-Control within [5 min, 24 h] (5 min when absent or no-store), and a
// refused document for one minute; such clients are public and may not use a secret.
//
// Consent is remembered per person and client and per browser (a long-lived random
// browser id cookie whose record lists the clients approved there and by whom). A
// browser that approved the client skips the consent page; if the person who then logs in
// is not the one who approved, the page is shown after login. The upstream is asked for
// consent (prompt=consent) on the first login from a browser, and again, once, whenever a
// login brings no refresh token for a person we never got one for. Logins without a
// verified email are refused.
//
// RequireBearer answers a token in the query string with 400 invalid_request (RFC 6750
// section 3.1), several Authorization headers likewise, another scheme or no header with
// a bare 401 challenge, and every unusable token with 401 invalid_token.
//
// Revocation across replicas: each family record in the store holds its revoked state
// and revoked token ids; a verified token is cached in memory, and every revocation
// increments a revocation epoch in the store. An instance applies its own revocations at
// once (its epoch moves immediately) and polls the shared epoch at most once per
// Config.RevocationPollInterval (2 s by default), dropping its cache when it moved. The
// hot path therefore never reads the store; a revocation made on another replica takes
// effect there within the poll interval.
package authserver
