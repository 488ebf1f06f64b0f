package identity

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// LocalFlow is a desktop (stdio or terminal) link in progress: Google redirects the browser
// to a loopback listener on an ephemeral port, open only while the flow runs. On a machine
// without a browser, the person can paste the address the browser ended on (or just the
// code) instead.
type LocalFlow struct {
	// URL is the Google authorization URL to open.
	URL string

	l     *Linker
	state string
	ln    net.Listener
	srv   *http.Server
	once  sync.Once
	done  chan struct{}
	res   Link
	err   error
}

// ErrLinkTimeout means nobody completed the sign-in in time.
var ErrLinkTimeout = errors.New("the Google sign-in was not completed in time")

// StartLocal begins a desktop link for p with the scopes asked for (hint is the suggested
// address). The listener closes when the flow ends or after timeout.
func (l *Linker) StartLocal(ctx context.Context, p Principal, hint string, sc []string, timeout time.Duration) (*LocalFlow, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("identity: opening the loopback listener: %w", err)
	}
	redirect := "http://" + ln.Addr().String() + "/oauth2callback"
	u, err := l.begin(ctx, nil, p, hint, sc, redirect)
	if err != nil {
		ln.Close()
		return nil, err
	}
	q, _ := url.Parse(u)
	f := &LocalFlow{URL: u, l: l, state: q.Query().Get("state"), ln: ln, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2callback", f.callback)
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	go func() {
		select {
		case <-f.done:
		case <-time.After(timeout):
			f.complete(Link{}, ErrLinkTimeout)
		}
	}()
	return f, nil
}

func (f *LocalFlow) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("state") != f.state {
		// Not this flow's answer: refuse without ending the flow.
		f.l.page(w, http.StatusBadRequest, pageData{Title: "Account not connected", Message: "This sign-in does not belong to the connection gwmcp is waiting for."})
		return
	}
	link, err := f.l.finish(r.Context(), q.Get("state"), q.Get("code"), q.Get("error"), nil)
	if err != nil {
		f.l.page(w, http.StatusBadRequest, pageData{Title: "Account not connected", Message: userMessage(err)})
	} else {
		f.l.page(w, http.StatusOK, pageData{Title: "Account connected", Message: link.Email + " is now connected to gwmcp. You can close this tab."})
	}
	go f.complete(link, err)
}

// Paste completes the flow with what the person pasted: the full address the browser was
// sent to, or only its code.
func (f *LocalFlow) Paste(ctx context.Context, input string) (Link, error) {
	input = strings.TrimSpace(input)
	code, state, gerr := input, f.state, ""
	if u, err := url.Parse(input); err == nil && u.RawQuery != "" {
		q := u.Query()
		code, state, gerr = q.Get("code"), q.Get("state"), q.Get("error")
	}
	if state != f.state {
		return Link{}, fmt.Errorf("%w: the pasted address belongs to another sign-in", ErrLinkRefused)
	}
	link, err := f.l.finish(ctx, state, code, gerr, nil)
	f.complete(link, err)
	return link, err
}

func (f *LocalFlow) complete(link Link, err error) {
	f.once.Do(func() {
		f.res, f.err = link, err
		close(f.done)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = f.srv.Shutdown(ctx)
	})
}

// Wait blocks until the flow ends.
func (f *LocalFlow) Wait(ctx context.Context) (Link, error) {
	select {
	case <-f.done:
		return f.res, f.err
	case <-ctx.Done():
		f.complete(Link{}, ctx.Err())
		<-f.done
		return f.res, f.err
	}
}

// Done is closed when the flow has ended.
func (f *LocalFlow) Done() <-chan struct{} { return f.done }

// Close ends the flow and its listener.
func (f *LocalFlow) Close() { f.complete(Link{}, context.Canceled) }
