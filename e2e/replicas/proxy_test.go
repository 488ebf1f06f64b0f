package replicas

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// hop is one request the proxy forwarded, and the replica that answered it.
type hop struct {
	Method, Path string
	RPC          string // JSON-RPC method of a POST /mcp ("" otherwise)
	Tool         string // tool name of a tools/call
	Grant        string // grant_type of a POST /oauth/token
	ClientID     string // client_id of a GET /oauth/authorize
	Bearer       string // short hash of the bearer token, to see a refreshed one
	Replica      string // name of the replica that answered; "" when none could
	Skipped      []string
	Status       int
}

func (h hop) String() string {
	what := h.Method + " " + h.Path
	switch {
	case h.Tool != "":
		what += " tools/call " + h.Tool
	case h.RPC != "":
		what += " " + h.RPC
	case h.Grant != "":
		what += " grant_type=" + h.Grant
	}
	s := fmt.Sprintf("%-46s -> %s %d", what, h.Replica, h.Status)
	if len(h.Skipped) > 0 {
		s += " (skipped " + strings.Join(h.Skipped, ",") + ": connection refused)"
	}
	return s
}

// rrProxy is a round-robin reverse proxy: each request goes to the next replica in turn; a
// replica that refuses the connection is skipped for that request (the next one is tried).
// It keeps the client's Host, as a reverse proxy in front of replicas that all present
// themselves as BASE_URL does, and records every hop.
type rrProxy struct {
	names    []string
	backends []*url.URL
	rp       *httputil.ReverseProxy
	base     http.RoundTripper

	mu    sync.Mutex // guards next, hops, steer and the fields the transport fills in
	next  int
	hops  []*hop            // in the order the requests arrived
	steer map[string]string // "METHOD /path" -> replica its first request waits for
}

type hopKey struct{}

// hopCtx travels with a request from ServeHTTP to the transport.
type hopCtx struct {
	body []byte
	h    *hop
}

func newRRProxy(names []string, backends []*url.URL) *rrProxy {
	p := &rrProxy{names: names, backends: backends,
		// A fresh connection per request: a replica killed between requests is then always
		// seen as a refused connection, never as a dead pooled one.
		base: &http.Transport{DisableKeepAlives: true, ResponseHeaderTimeout: 30 * time.Second}}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "replica.invalid" // the transport picks the replica
			r.Out.Host = r.In.Host
			r.SetXForwarded()
		},
		Transport:     p,
		FlushInterval: -1, // stream SSE answers as they come
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "no replica answered: "+err.Error(), http.StatusBadGateway)
		},
	}
	return p
}

func (p *rrProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	h := &hop{Method: r.Method, Path: r.URL.Path}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		sum := sha256.Sum256([]byte(tok))
		h.Bearer = hex.EncodeToString(sum[:4])
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/mcp":
		var msg struct {
			Method string `json:"method"`
			Params struct {
				Name string `json:"name"`
			} `json:"params"`
		}
		if json.Unmarshal(body, &msg) == nil {
			h.RPC = msg.Method
			if msg.Method == "tools/call" {
				h.Tool = msg.Params.Name
			}
		}
	case r.Method == http.MethodGet && r.URL.Path == "/oauth/authorize":
		h.ClientID = r.URL.Query().Get("client_id")
	case r.Method == http.MethodPost && r.URL.Path == "/oauth/token":
		if form, err := url.ParseQuery(string(body)); err == nil {
			h.Grant = form.Get("grant_type")
		}
	}
	p.mu.Lock()
	p.hops = append(p.hops, h)
	p.mu.Unlock()
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), hopKey{}, &hopCtx{body: body, h: h})))
}

// RoundTrip sends the request to the replica whose turn it is, or on to the next one while
// they refuse the connection.
func (p *rrProxy) RoundTrip(req *http.Request) (*http.Response, error) {
	hc := req.Context().Value(hopKey{}).(*hopCtx)
	p.mu.Lock()
	if want, ok := p.steer[req.Method+" "+req.URL.Path]; ok {
		delete(p.steer, req.Method+" "+req.URL.Path)
		for p.names[p.next] != want {
			p.next = (p.next + 1) % len(p.backends)
		}
	}
	first := p.next
	p.next = (p.next + 1) % len(p.backends)
	p.mu.Unlock()
	var lastErr error
	for i := range p.backends {
		idx := (first + i) % len(p.backends)
		out := req.Clone(req.Context())
		out.URL.Scheme, out.URL.Host = p.backends[idx].Scheme, p.backends[idx].Host
		out.Body = io.NopCloser(bytes.NewReader(hc.body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(hc.body)), nil }
		resp, err := p.base.RoundTrip(out)
		if errors.Is(err, syscall.ECONNREFUSED) {
			p.mu.Lock()
			hc.h.Skipped = append(hc.h.Skipped, p.names[idx])
			p.mu.Unlock()
			lastErr = err
			continue
		}
		if err == nil {
			// Recorded before the client can see the answer.
			p.mu.Lock()
			hc.h.Replica, hc.h.Status = p.names[idx], resp.StatusCode
			p.mu.Unlock()
		}
		return resp, err
	}
	return nil, lastErr
}

// steerFirst makes the next request for "METHOD /path" wait for replica's turn: the round
// robin skips the turns in between (at most one with two replicas), so a test does not
// depend on how many discovery requests a client makes before it.
func (p *rrProxy) steerFirst(methodPath, replica string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.steer == nil {
		p.steer = map[string]string{}
	}
	p.steer[methodPath] = replica
}

// since returns the hops recorded from index i on, and the current count.
func (p *rrProxy) since(i int) ([]hop, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]hop, 0, len(p.hops)-i)
	for _, h := range p.hops[i:] {
		c := *h
		c.Skipped = append([]string(nil), h.Skipped...)
		out = append(out, c)
	}
	return out, len(p.hops)
}

// last returns the last recorded hop matching f.
func (p *rrProxy) last(f func(hop) bool) (hop, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.hops) - 1; i >= 0; i-- {
		if f(*p.hops[i]) {
			return *p.hops[i], true
		}
	}
	return hop{}, false
}
