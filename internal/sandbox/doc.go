// Package sandbox owns a faithful in-process Google: an OpenID provider that
// behaves like accounts.google.com and oauth2.googleapis.com (discovery,
// authorization with an account chooser, token, userinfo, tokeninfo, JWKS and
// revocation endpoints), and, over time, fake Workspace APIs that authenticate
// the access tokens it issues.
//
// It is used by gwmcp's tests and by `gwmcp serve --sandbox`, so that a
// newcomer can try gwmcp without a Google Cloud project. All state lives in
// memory; time and randomness come from [Options] so tests control expiry.
//
// A Sandbox is mounted under one base URL, its issuer. Every endpoint path is
// relative to that base and mirrors Google's own path:
//
//	/.well-known/openid-configuration   discovery document
//	/o/oauth2/v2/auth                   authorization (account chooser and consent page)
//	/token                              token endpoint (authorization_code, refresh_token)
//	/v1/userinfo                        OpenID userinfo
//	/oauth2/v3/certs                    JWKS
//	/revoke                             token revocation
//	/tokeninfo                          Google's tokeninfo
//
// The OpenID provider lives in accounts.go and the oidc*.go files.
package sandbox
