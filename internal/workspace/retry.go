package workspace

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The retry rule
//
// A request is sent again after a transient failure only when sending it twice is safe:
//
//   - The body must be replayable: none, req.GetBody set (the generated clients set it
//     for single-chunk media), or at most 1 MiB, which is then kept in memory (the
//     generated clients leave GetBody nil for JSON bodies). A larger streamed body is
//     sent once.
//   - GET, HEAD, OPTIONS, PUT and DELETE are idempotent: retried.
//   - POST, PATCH and any other method are retried only when the call's context was
//     marked with MarkIdempotent. Without the mark a POST such as gmail messages.send or
//     drive files.create is sent exactly once: a 503 may come after Google acted, and a
//     second send would duplicate the mail or the file.
//
// Transient failures are HTTP 429, 500, 502, 503 and 504, 403 whose reason is
// rateLimitExceeded or userRateLimitExceeded (Drive's way of saying 429), and connection
// errors (reset, refused, unexpected EOF, timeouts). The n-th retry (n from 0) waits
// Retry-After when Google sent it (seconds or an HTTP date), otherwise a random duration
// in [0, min(RetryCap, RetryBase*2^n)) ("full jitter"). No retry is made whose wait would
// end after RetryDeadline from the first attempt or after the context's deadline: the last
// answer is returned instead, so the tool sees Google's error. A 401 is not retried here:
// the account transport refreshes the token and resends once.

type idempotentKey struct{}

// MarkIdempotent marks every request made with the returned context as safe to send more
// than once, so that a POST or PATCH may be retried after a transient failure (use it for
// searches and reads sent as POST, or writes guarded by a precondition such as Docs'
// requiredRevisionId). Never mark a call that creates or sends something.
func MarkIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

func markedIdempotent(ctx context.Context) bool {
	v, _ := ctx.Value(idempotentKey{}).(bool)
	return v
}

// retryable applies the rule above to a request.
func retryable(req *http.Request) bool {
	if !replayable(req) {
		return false
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return markedIdempotent(req.Context())
}

// retryTransport retries transient failures of retryable requests.
type retryTransport struct {
	f    *Factory
	next http.RoundTripper
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req, err := bufferBody(req)
	if err != nil {
		return nil, err
	}
	if !retryable(req) {
		return t.next.RoundTrip(req)
	}
	o := &t.f.opts
	ctx := req.Context()
	start := o.Now()
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 {
			r = req.Clone(ctx)
			if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
				body, err := req.GetBody()
				if err != nil {
					return nil, fmt.Errorf("workspace: replay request body: %w", err)
				}
				r.Body = body
			}
		}
		resp, err := t.next.RoundTrip(r)
		wait, again := t.decide(attempt, resp, err)
		if !again || attempt+1 >= o.MaxAttempts || !t.fits(ctx, start, wait) {
			return resp, err
		}
		discard(resp)
		o.Logger.DebugContext(ctx, "workspace: retrying Google request", "attempt", attempt+1,
			"status", statusOf(resp), "wait", wait)
		t.f.retries.Add(1)
		if err := o.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// maxBuffer bounds the request bodies kept in memory so they can be sent again.
const maxBuffer = 1 << 20

// bufferBody makes a small body without GetBody replayable by keeping it in memory. The
// generated clients never set GetBody for JSON bodies (only for single-chunk media), so
// without this no PUT, PATCH or marked POST of theirs could be retried, nor resent after
// a 401. A body over maxBuffer is streamed as it comes and stays unreplayable.
func bufferBody(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody != nil || req.ContentLength > maxBuffer {
		return req, nil
	}
	head, err := io.ReadAll(io.LimitReader(req.Body, maxBuffer+1))
	if err != nil {
		req.Body.Close()
		return nil, fmt.Errorf("workspace: read request body: %w", err)
	}
	r := req.Clone(req.Context())
	if len(head) > maxBuffer {
		r.Body = &peekedBody{Reader: io.MultiReader(bytes.NewReader(head), req.Body), Closer: req.Body}
		return r, nil
	}
	req.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(head))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(head)), nil }
	r.ContentLength = int64(len(head))
	return r, nil
}

// fits reports whether waiting d still leaves the retry inside the call's budget and the
// context's deadline.
func (t *retryTransport) fits(ctx context.Context, start time.Time, d time.Duration) bool {
	if t.f.opts.Now().Sub(start)+d > t.f.opts.RetryDeadline {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return false
	}
	return ctx.Err() == nil
}

// decide says whether an attempt's outcome is worth another try and how long to wait.
func (t *retryTransport) decide(attempt int, resp *http.Response, err error) (time.Duration, bool) {
	if err != nil {
		return t.backoff(attempt), transientError(err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
	case http.StatusForbidden:
		if !rateLimited(resp) {
			return 0, false
		}
	default:
		return 0, false
	}
	if d, ok := retryAfter(resp.Header.Get("Retry-After"), t.f.opts.Now()); ok {
		return d, true
	}
	return t.backoff(attempt), true
}

// backoff is full jitter: a random duration in [0, min(cap, base*2^attempt)).
func (t *retryTransport) backoff(attempt int) time.Duration {
	o := &t.f.opts
	ceiling := o.RetryCap
	if attempt < 32 {
		if d := o.RetryBase << attempt; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	var b [8]byte
	if _, err := io.ReadFull(o.Rand, b[:]); err != nil {
		return ceiling / 2
	}
	frac := float64(binary.BigEndian.Uint64(b[:])>>11) / float64(1<<53) // [0, 1)
	return time.Duration(math.Floor(frac * float64(ceiling)))
}

// retryAfter reads Retry-After: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > math.MaxInt64/int64(time.Second) {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// maxPeek bounds how much of a 403 body is read to look for a rate-limit reason.
const maxPeek = 64 << 10

// rateLimited reports whether a 403 is Google's per-user or per-project rate limit. It
// reads the start of the body and puts it back.
func rateLimited(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, maxPeek))
	resp.Body = &peekedBody{Reader: io.MultiReader(bytes.NewReader(head), resp.Body), Closer: resp.Body}
	if err != nil {
		return false
	}
	var body struct {
		Error struct {
			Errors []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(head, &body) != nil {
		return false
	}
	for _, e := range body.Error.Errors {
		if e.Reason == "rateLimitExceeded" || e.Reason == "userRateLimitExceeded" {
			return true
		}
	}
	return false
}

type peekedBody struct {
	io.Reader
	io.Closer
}

// transientError reports whether a transport error is worth another try. This package's
// own errors (no credential, re-authorization, token service down, foreign host) and
// context errors are not.
func transientError(err error) bool {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, ErrNoCredential), errors.Is(err, ErrReauthRequired),
		errors.Is(err, ErrUnavailable), errors.Is(err, ErrWriteBack), errors.Is(err, ErrForeignHost):
		return false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}
