package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/store"
)

// StatusError is an error a handler returns to choose the HTTP status and the message the
// uploader or downloader sees. Handlers may also return any error with an HTTPStatus() int
// method; its Error() text is then shown, so it must be written for people. Any other error
// is answered 502 with a generic sentence (its text is logged, not shown).
type StatusError struct {
	Status  int
	Message string
}

func (e *StatusError) Error() string   { return e.Message }
func (e *StatusError) HTTPStatus() int { return e.Status }

type httpStatuser interface {
	error
	HTTPStatus() int
}

// Routes registers the transfer endpoints on mux: PUT and POST at the upload prefix and GET
// at the download prefix, each followed by the ticket id. The server's global body limit
// must not apply to the upload prefix: these routes enforce Options.MaxBytes themselves.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("PUT "+s.opts.UploadPath+"{id}", s.serveUpload)
	mux.HandleFunc("POST "+s.opts.UploadPath+"{id}", s.serveUpload)
	mux.HandleFunc("GET "+s.opts.DownloadPath+"{id}", s.serveDownload)
}

// UploadPath and DownloadPath return the URL path prefixes the routes serve.
func (s *Service) UploadPath() string   { return s.opts.UploadPath }
func (s *Service) DownloadPath() string { return s.opts.DownloadPath }

// claim finds the ticket of the request, checks it and consumes it. It writes the refusal
// and returns false when the request may not proceed. Before consuming, check runs (for
// example the upload's declared size) so that a refused request leaves the ticket usable.
func (s *Service) claim(w http.ResponseWriter, r *http.Request, dir string, check func(ticket) bool) (ticket, bool) {
	var t ticket
	id := r.PathValue("id")
	if !validID(id) {
		writeError(w, http.StatusNotFound, "not_found", "This transfer link is unknown or was already used.")
		return t, false
	}
	key := ticketKey(id)
	b, err := s.opts.KV.Get(r.Context(), key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "This transfer link is unknown or was already used.")
		return t, false
	case err != nil:
		s.opts.Logger.WarnContext(r.Context(), "transfer: reading ticket failed", "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "unavailable", "Transfers are unavailable right now; try again.")
		return t, false
	}
	if err := json.Unmarshal(b, &t); err != nil || t.Dir != dir {
		writeError(w, http.StatusNotFound, "not_found", "This transfer link is unknown or was already used.")
		return t, false
	}
	if !s.opts.Now().Before(t.Expires) {
		_ = s.opts.KV.Delete(r.Context(), key)
		writeError(w, http.StatusGone, "expired", "This transfer link has expired; ask for a new one.")
		return t, false
	}
	if !samePrincipal(r, t.Subject) {
		writeError(w, http.StatusForbidden, "forbidden", "This transfer link belongs to someone else.")
		return t, false
	}
	if check != nil && !check(t) {
		return t, false
	}
	if _, err := s.opts.KV.Take(r.Context(), key); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.opts.Logger.WarnContext(r.Context(), "transfer: consuming ticket failed", "error", err.Error())
		}
		writeError(w, http.StatusNotFound, "not_found", "This transfer link is unknown or was already used.")
		return t, false
	}
	return t, true
}

// samePrincipal applies the binding rule: a request that carries a principal (put in its
// context by the authenticating middleware) must be the ticket's; a request that carries a
// bearer token nobody verified is refused; a request with neither is authorized by the URL
// alone (a browser or curl given the link).
func samePrincipal(r *http.Request, subject string) bool {
	if p, ok := identity.PrincipalFrom(r.Context()); ok {
		return p.Subject == subject
	}
	return r.Header.Get("Authorization") == ""
}

func (s *Service) serveUpload(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	t, ok := s.claim(w, r, dirUpload, func(t ticket) bool {
		if r.ContentLength > s.opts.MaxBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large",
				s.tooLarge())
			return false
		}
		if s.uploadFunc(t.Kind) == nil {
			writeError(w, http.StatusNotFound, "not_found", "This transfer link is unknown or was already used.")
			return false
		}
		return true
	})
	if !ok {
		return
	}
	// Large bodies take longer than the server's read timeout. Connection deadlines are
	// wall-clock times, so they use time.Now rather than the injected ticket clock.
	// The answer is written after the whole body is read, so the write deadline moves too.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.opts.IOTimeout))
	_ = rc.SetWriteDeadline(time.Now().Add(s.opts.IOTimeout))
	body := &capReader{r: http.MaxBytesReader(w, r.Body, s.opts.MaxBytes)}
	defer body.r.Close()
	start := s.opts.Now()
	res, err := s.uploadFunc(t.Kind)(r.Context(), t.Account, t.Params, body, r.ContentLength)
	var tooBig *http.MaxBytesError
	switch {
	case body.over || errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large",
			s.tooLarge())
	case err != nil:
		s.handlerError(r.Context(), w, "upload", t.Kind, err)
	default:
		s.opts.Logger.InfoContext(r.Context(), "transfer: upload done", "kind", t.Kind, "duration", s.opts.Now().Sub(start))
		writeJSON(w, http.StatusOK, res)
	}
}

func (s *Service) serveDownload(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if r.Method == http.MethodHead {
		// A HEAD must not consume the single use of the link.
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Use GET to download.")
		return
	}
	t, ok := s.claim(w, r, dirDownload, func(t ticket) bool {
		if s.downloadFunc(t.Kind) == nil {
			writeError(w, http.StatusNotFound, "not_found", "This transfer link is unknown or was already used.")
			return false
		}
		return true
	})
	if !ok {
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.opts.IOTimeout))
	h := w.Header()
	// Content served from gwmcp's origin must never run there (an HTML or SVG file).
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	dw := &downloadWriter{ResponseWriter: w}
	err := s.downloadFunc(t.Kind)(r.Context(), t.Account, t.Params, dw)
	switch {
	case err == nil:
		if !dw.wrote {
			dw.WriteHeader(http.StatusOK)
		}
	case !dw.wrote:
		s.handlerError(r.Context(), w, "download", t.Kind, err)
	default:
		// Part of the content went out: abort the connection so that the client sees a
		// broken transfer rather than a complete-looking short file.
		s.opts.Logger.WarnContext(r.Context(), "transfer: download failed midway", "kind", t.Kind, "error", err.Error())
		panic(http.ErrAbortHandler)
	}
}

// handlerError answers a handler's failure: its own status and message when it chose one,
// otherwise a generic 502 (the cause is logged, never shown).
func (s *Service) handlerError(ctx context.Context, w http.ResponseWriter, what, kind string, err error) {
	var se httpStatuser
	if errors.As(err, &se) && se.HTTPStatus() >= 400 && se.HTTPStatus() <= 599 {
		writeError(w, se.HTTPStatus(), http.StatusText(se.HTTPStatus()), se.Error())
		return
	}
	if ctx.Err() != nil {
		return // the client went away
	}
	s.opts.Logger.WarnContext(ctx, "transfer: "+what+" failed", "kind", kind, "error", err.Error())
	writeError(w, http.StatusBadGateway, "upstream_failed", "The "+what+" could not be completed; try again with a new link.")
}

// capReader remembers that the body went over the cap, whatever the handler made of the
// error (a client library may not wrap it).
type capReader struct {
	r    io.ReadCloser
	over bool
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	var tooBig *http.MaxBytesError
	if err != nil && errors.As(err, &tooBig) {
		c.over = true
	}
	return n, err
}

// downloadWriter records whether the response has started and makes sure content is
// offered as an attachment unless the handler chose otherwise.
type downloadWriter struct {
	http.ResponseWriter
	wrote bool
}

func (d *downloadWriter) WriteHeader(code int) {
	if !d.wrote {
		d.wrote = true
		if d.Header().Get("Content-Disposition") == "" {
			d.Header().Set("Content-Disposition", "attachment")
		}
		if d.Header().Get("Content-Type") == "" {
			d.Header().Set("Content-Type", "application/octet-stream")
		}
	}
	d.ResponseWriter.WriteHeader(code)
}

func (d *downloadWriter) Write(p []byte) (int, error) {
	if !d.wrote {
		d.WriteHeader(http.StatusOK)
	}
	return d.ResponseWriter.Write(p)
}

// Unwrap lets http.NewResponseController reach the connection (Flush, deadlines).
func (d *downloadWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

func writeError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Disposition")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusBadGateway, "upstream_failed", "The upload finished but its result could not be encoded.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func (s *Service) tooLarge() string {
	limit := strconv.FormatInt(s.opts.MaxBytes, 10) + " bytes"
	if s.opts.MaxBytes >= 1<<20 {
		limit = strconv.FormatInt(s.opts.MaxBytes>>20, 10) + " MiB"
	}
	return "The upload is larger than the " + limit + " this server accepts."
}
