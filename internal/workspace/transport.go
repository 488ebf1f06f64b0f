package workspace

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// accountTransport authenticates each request as one account: it checks the host, puts
// GOOGLE_API_BASE_URL's path prefix back on upload URLs, sets the bearer token and the
// User-Agent, and on a 401 refreshes once and resends (Google did not act on a request it
// could not authenticate, so resending is safe for any method with a replayable body).
type accountTransport struct {
	f       *Factory
	email   string
	service Service
	next    http.RoundTripper
}

func (t *accountTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	u, err := t.f.route(req.URL)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	tok, err := t.f.tokens.accessToken(ctx, t.email, "")
	if err != nil {
		closeBody(req)
		return nil, err
	}
	r := t.prepare(req, u, tok.Reveal())
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized && replayable(req) {
		tok2, err := t.f.tokens.accessToken(ctx, t.email, tok.Reveal())
		if err != nil {
			discard(resp)
			return nil, err
		}
		if tok2.Reveal() != tok.Reveal() {
			r2 := t.prepare(req, u, tok2.Reveal())
			if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
				body, err := req.GetBody()
				if err != nil {
					discard(resp)
					return nil, fmt.Errorf("workspace: replay request body: %w", err)
				}
				r2.Body = body
			}
			discard(resp)
			if resp, err = t.next.RoundTrip(r2); err != nil {
				return nil, err
			}
		}
	}
	if resp.StatusCode >= 400 && t.service != "" {
		if resp.Header == nil {
			resp.Header = http.Header{}
		}
		resp.Header.Set(serviceHeader, string(t.service))
	}
	return resp, nil
}

// prepare clones req for one attempt with the token set (a RoundTripper must not change
// the caller's request).
func (t *accountTransport) prepare(req *http.Request, u *url.URL, token string) *http.Request {
	r := req.Clone(req.Context())
	r.URL = u
	r.Host = ""
	r.Header.Set("Authorization", "Bearer "+token)
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", t.f.opts.UserAgent)
	}
	return r
}

// route checks that a request may carry an account's token and returns its final URL.
// With GOOGLE_API_BASE_URL only that scheme and host are allowed, and an absolute
// "/upload/..." path (which the generated clients build without the base path) gets the
// base's path prefix back. Without it only https to *.googleapis.com is allowed.
func (f *Factory) route(u *url.URL) (*url.URL, error) {
	if b := f.base; b != nil {
		if !strings.EqualFold(u.Scheme, b.Scheme) || !strings.EqualFold(u.Host, b.Host) {
			return nil, fmt.Errorf("workspace: %w: %s (only %s is allowed)", ErrForeignHost, hostOf(u), b.Host)
		}
		if b.Path == "" || !strings.HasPrefix(u.Path, "/upload/") {
			return u, nil
		}
		c := *u
		c.Path = b.Path + u.Path
		if u.RawPath != "" {
			c.RawPath = b.EscapedPath() + u.RawPath
		}
		return &c, nil
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme != "https" || (host != "googleapis.com" && !strings.HasSuffix(host, ".googleapis.com")) {
		return nil, fmt.Errorf("workspace: %w: %s", ErrForeignHost, hostOf(u))
	}
	return u, nil
}

// hostOf names a URL's scheme and host for an error, never its path or query.
func hostOf(u *url.URL) string { return u.Scheme + "://" + u.Host }

// replayable reports whether a request's body can be sent again.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// discard drains a little of a response we will not use (so the connection can be
// reused) and closes it.
func discard(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}
