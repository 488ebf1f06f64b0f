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
//	/drive/v3/..., /upload/drive/v3/... the Drive API v3 (drive*.go)
//	/gmail/v1/..., /upload/gmail/v1/... the Gmail API v1 (gmail*.go)
//	/calendar/v3/...                    the Calendar API v3 (calendar*.go)
//
// The Workspace APIs authenticate the access tokens the OpenID part issued, enforce the
// scopes Google documents per method, and answer with Google's error shapes; FailAPI scripts
// quota errors and outages. Uploads must reach the host root (google-api-go resolves
// /upload/... against the endpoint's host), so mount the sandbox at "/".
//
// The OpenID provider lives in accounts.go and the oidc*.go files; what the APIs share
// (errors, auth, scripted failures, paging) in api.go.
package sandbox
