// Package workspace owns gwmcp's per-account Google API clients: one ready client per
// account and service (Drive, Gmail, Calendar, Docs, Sheets, Slides, Forms, Chat,
// People, Tasks, and a plain *http.Client for Photos, which has no Go client), built on
// an http.Client that
//
//   - reads the account's credential from storage on every request (so a refresh made by
//     another process is seen at once),
//   - refreshes the access token 5 minutes before it expires, or when Google answers 401,
//     with exactly one upstream refresh per account however many calls wait for it,
//   - writes the refreshed token back to storage before handing it out when the refresh
//     token was rotated, and re-reads storage before refreshing,
//   - turns invalid_grant into a *ReauthError (errors.Is ErrReauthRequired),
//   - retries Google's 429, 500, 502, 503, 504 (and 403 rateLimitExceeded) with
//     exponential backoff and full jitter, honouring Retry-After, within a per-call budget,
//     for requests that are safe to send twice (see MarkIdempotent),
//   - sends the account's token only to Google's API hosts (or to GOOGLE_API_BASE_URL's
//     host when that is set).
//
// Clients are cached per account and service with a TTL and LRU eviction; Clear drops an
// account's clients when it is revoked or authorized again. Describe turns any error of
// this package or of a generated client into one sentence a tool can show.
//
// # Endpoints and GOOGLE_API_BASE_URL
//
// With Options.BaseURL set (GOOGLE_API_BASE_URL, for example the sandbox at
// http://127.0.0.1:8003), every service is pointed at that single host with
// option.WithEndpoint, and each API keeps Google's own path:
//
//	service   WithEndpoint       requests go to                       uploads go to
//	drive     BASE/drive/v3/     BASE/drive/v3/files/...              BASE/upload/drive/v3/files[/{fileId}]
//	gmail     BASE/              BASE/gmail/v1/users/{userId}/...     BASE/upload/gmail/v1/users/{userId}/messages[/send|/import], .../drafts[/send|/{id}]
//	calendar  BASE/calendar/v3/  BASE/calendar/v3/calendars/...       -
//	docs      BASE/              BASE/v1/documents/...                -
//	sheets    BASE/              BASE/v4/spreadsheets/...             -
//	slides    BASE/              BASE/v1/presentations/...            -
//	forms     BASE/              BASE/v1/forms/...                    -
//	chat      BASE/              BASE/v1/spaces/..., BASE/v1/media/.. BASE/upload/v1/spaces/{space}/attachments:upload
//	people    BASE/              BASE/v1/people/..., /v1/contactGroups -
//	tasks     BASE/              BASE/tasks/v1/users/@me/lists, BASE/tasks/v1/lists/...
//	photos    BASE/              BASE/v1/mediaItems... (Endpoint("photos") + "v1/...")
//
// The generated clients build upload URLs with googleapi.ResolveRelative(BasePath,
// "/upload/..."): the path is absolute, so it replaces the endpoint's whole path and keeps
// only its scheme and host. With a BASE that is a bare origin this is exactly
// BASE/upload/...; with a BASE that has a path prefix (http://host/sandbox) the generated
// code would send uploads to http://host/upload/..., so the client's transport puts the
// prefix back (http://host/sandbox/upload/...). Without BaseURL, each service uses
// Google's own endpoint (its generated basePath, set explicitly so that mTLS
// auto-switching never changes it).
//
// # User-Agent
//
// option.WithUserAgent is ignored by google-api-go when option.WithHTTPClient is given, so
// each generated service also gets its UserAgent field set: requests carry
// "google-api-go-client/0.5 gwmcp/<version>"; plain HTTP clients (Photos) send
// "gwmcp/<version>" unless the caller set a User-Agent.
package workspace
