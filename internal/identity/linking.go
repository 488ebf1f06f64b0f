package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/upstream"
)

// LinkUpstream is the Google sign-in the linking flow needs.
type LinkUpstream interface {
	AuthCodeURL(ctx context.Context, r upstream.AuthRequest) (string, error)
	Exchange(ctx context.Context, code, verifier, nonce, redirectURL string) (upstream.Tokens, error)
}

// CredentialWriter is what linking writes Google credentials to.
type CredentialWriter interface {
	Get(ctx context.Context, email string) (credentials.Credential, error)
	Put(ctx context.Context, c credentials.Credential) error
}

// Linker runs flow 2: a principal adds a Google account. Over HTTP the principal gets a
// single-use link page (BASE_URL/auth/link/<ticket>) where the person picks the services,
// approves, signs in at Google, and lands on the shared callback; on stdio a loopback
// listener on an ephemeral port receives the callback (see local.go). Whatever address was
// hinted, the account Google actually signed in is the one linked, and only to the principal
// the ticket was made for.
type Linker struct {
	kv       store.Store
	creds    CredentialWriter
	dir      *Directory
	up       LinkUpstream
	scopes   *scopes.Registry
	baseURL  string
	callback string
	clientID string
	secure   bool
	now      func() time.Time
	rand     io.Reader
	log      *slog.Logger
	// OnLinked, if set, runs after an account is linked (the app clears cached clients).
	onLinked func(email string)
	narrow   func([]string) []string
}

// LinkerOptions configure NewLinker.
type LinkerOptions struct {
	KV          store.Store
	Credentials CredentialWriter
	Directory   *Directory
	Upstream    LinkUpstream
	Scopes      *scopes.Registry
	BaseURL     string // public URL, no trailing slash
	CallbackURL string // the Google redirect URI (BASE_URL/oauth2callback)
	ClientID    string // the Google OAuth client the credentials belong to
	Now         func() time.Time
	Rand        io.Reader
	Logger      *slog.Logger
	OnLinked    func(email string)
	// Narrow, when set, rewrites the scopes a link requests (read-only servers).
	Narrow func([]string) []string
}

// NewLinker returns a linker.
func NewLinker(o LinkerOptions) *Linker {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Linker{kv: o.KV, creds: o.Credentials, dir: o.Directory, up: o.Upstream, scopes: o.Scopes,
		baseURL: strings.TrimRight(o.BaseURL, "/"), callback: o.CallbackURL, clientID: o.ClientID,
		secure: strings.HasPrefix(o.BaseURL, "https://"), now: o.Now, rand: o.Rand, log: o.Logger, onLinked: o.OnLinked, narrow: o.Narrow}
}

// Lifetimes of the flow's records.
const (
	linkTicketTTL = 10 * time.Minute
	linkStateTTL  = 10 * time.Minute
)

// LinkStatePrefix starts every state the linking flow sends to Google, so the shared callback
// can tell its requests from the authorization server's.
const LinkStatePrefix = "lk_"

const (
	ticketPrefix    = "id/linkticket/"
	linkStateKey    = "id/linkstate/"
	bindCookie      = "gwmcp_link_bind"
	csrfCookie      = "gwmcp_link_csrf"
	cookiePathLink  = "/auth/link/"
	cookiePathState = "/"
)

type linkTicket struct {
	Principal Principal `json:"principal"`
	Hint      string    `json:"hint,omitempty"`
	Scopes    []string  `json:"scopes,omitempty"`
	CSRF      string    `json:"csrf,omitempty"`
}

type linkState struct {
	Principal Principal `json:"principal"`
	Hint      string    `json:"hint,omitempty"`
	Scopes    []string  `json:"scopes"`
	Verifier  string    `json:"verifier"`
	Nonce     string    `json:"nonce"`
	Binding   string    `json:"binding"` // hash of the browser-binding cookie
	Redirect  string    `json:"redirect"`
}

func (l *Linker) random() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(l.rand, b[:]); err != nil {
		return "", fmt.Errorf("identity: randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// URL mints a single-use link page for p asking for scopes (email is a hint). It is the
// resolver's AuthURLFunc over HTTP.
func (l *Linker) URL(ctx context.Context, p Principal, email string, sc []string) (string, error) {
	id, err := l.random()
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(linkTicket{Principal: p, Hint: email, Scopes: sc})
	if err != nil {
		return "", err
	}
	if err := l.kv.Set(ctx, ticketPrefix+digest(id), b, linkTicketTTL); err != nil {
		return "", fmt.Errorf("identity: link ticket: %w", err)
	}
	return l.baseURL + cookiePathLink + id, nil
}

// Routes registers the link page.
func (l *Linker) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /auth/link/{ticket}", l.showPage)
	mux.HandleFunc("POST /auth/link/{ticket}", l.approve)
}

func (l *Linker) ticket(ctx context.Context, id string) (linkTicket, error) {
	var t linkTicket
	b, err := l.kv.Get(ctx, ticketPrefix+digest(id))
	if err != nil {
		return t, err
	}
	return t, json.Unmarshal(b, &t)
}

// servicesOf returns the services of the requested scopes (the page's preselection).
func (l *Linker) servicesOf(sc []string) []string {
	var out []string
	for _, u := range sc {
		if s := l.scopes.Service(u); s != "" && s != "identity" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func (l *Linker) showPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("ticket")
	t, err := l.ticket(r.Context(), id)
	if err != nil {
		l.page(w, http.StatusNotFound, pageData{Title: "Link expired", Message: "This link was already used or has expired. Ask your assistant for a new one (start_google_auth)."})
		return
	}
	csrf, err := l.random()
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	t.CSRF = digest(csrf)
	b, _ := json.Marshal(t)
	if err := l.kv.Set(r.Context(), ticketPrefix+digest(id), b, store.KeepTTL); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: cookiePathLink, HttpOnly: true, Secure: l.secure, SameSite: http.SameSiteStrictMode, MaxAge: int(linkTicketTTL.Seconds())})
	who := t.Principal.Email
	if who == "" {
		who = "your gwmcp session"
	}
	checked := l.servicesOf(t.Scopes)
	var svcs []serviceChoice
	for _, s := range l.scopes.Services() {
		if s.Always || s.ID == "identity" {
			continue
		}
		svcs = append(svcs, serviceChoice{ID: s.ID, Name: s.Name, Description: s.Description, Checked: slices.Contains(checked, s.ID)})
	}
	l.page(w, http.StatusOK, pageData{Title: "Connect a Google account", Form: true, Who: who, Hint: t.Hint, Services: svcs, CSRF: csrf})
}

func (l *Linker) approve(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("ticket")
	if err := r.ParseForm(); err != nil {
		l.page(w, http.StatusBadRequest, pageData{Title: "Bad request", Message: "The form could not be read."})
		return
	}
	c, err := r.Cookie(csrfCookie)
	form := r.PostForm.Get("csrf")
	// Take first: a ticket is good for one attempt, whatever its outcome.
	b, terr := l.kv.Take(r.Context(), ticketPrefix+digest(id))
	var t linkTicket
	if terr == nil {
		terr = json.Unmarshal(b, &t)
	}
	switch {
	case terr != nil:
		l.page(w, http.StatusNotFound, pageData{Title: "Link expired", Message: "This link was already used or has expired. Ask your assistant for a new one (start_google_auth)."})
		return
	case err != nil || form == "" || t.CSRF == "" ||
		subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 || subtle.ConstantTimeCompare([]byte(digest(form)), []byte(t.CSRF)) != 1:
		l.page(w, http.StatusForbidden, pageData{Title: "Request refused", Message: "This approval did not come from the page gwmcp showed in this browser. Ask for a new link."})
		return
	}
	if r.PostForm.Get("action") != "approve" {
		l.page(w, http.StatusOK, pageData{Title: "Cancelled", Message: "No account was connected. You can close this tab."})
		return
	}
	services := r.PostForm["service"]
	if len(services) == 0 {
		services = l.servicesOf(t.Scopes)
	}
	sc, err := l.scopes.ForServices(services)
	if err != nil {
		l.page(w, http.StatusBadRequest, pageData{Title: "Bad request", Message: "Unknown service selected."})
		return
	}
	// Explicitly requested scopes (a tool's missing scope) are kept even if their service box
	// was the only reason; the person saw the services they belong to.
	for _, s := range t.Scopes {
		if !slices.Contains(sc, s) && slices.Contains(services, l.scopes.Service(s)) {
			sc = append(sc, s)
		}
	}
	u, err := l.begin(r.Context(), w, t.Principal, t.Hint, sc, l.callback)
	if err != nil {
		l.log.ErrorContext(r.Context(), "link: starting Google sign-in", "error", err.Error())
		l.page(w, http.StatusBadGateway, pageData{Title: "Google sign-in unavailable", Message: "gwmcp could not start the Google sign-in. Try again in a minute."})
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// begin stores a single-use state bound to this browser (when w is given) and returns the
// Google authorization URL.
func (l *Linker) begin(ctx context.Context, w http.ResponseWriter, p Principal, hint string, sc []string, redirect string) (string, error) {
	if l.narrow != nil {
		sc = l.narrow(sc)
	}
	state, err := l.random()
	if err != nil {
		return "", err
	}
	state = LinkStatePrefix + state
	verifier := oauth2.GenerateVerifier()
	nonce, err := l.random()
	if err != nil {
		return "", err
	}
	st := linkState{Principal: p, Hint: hint, Scopes: sc, Verifier: verifier, Nonce: nonce, Redirect: redirect}
	if w != nil {
		bind, err := l.random()
		if err != nil {
			return "", err
		}
		st.Binding = digest(bind)
		http.SetCookie(w, &http.Cookie{Name: bindCookie, Value: bind, Path: cookiePathState, HttpOnly: true, Secure: l.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(linkStateTTL.Seconds())})
	}
	b, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	if err := l.kv.Set(ctx, linkStateKey+digest(state), b, linkStateTTL); err != nil {
		return "", fmt.Errorf("identity: link state: %w", err)
	}
	return l.up.AuthCodeURL(ctx, upstream.AuthRequest{
		State: state, Nonce: nonce, CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier), Scopes: sc,
		LoginHint: hint, Offline: true, ForceConsent: true, IncludeGrantedScopes: true, RedirectURL: redirect,
	})
}

// IsLinkState reports whether a callback's state belongs to the linking flow.
func IsLinkState(state string) bool { return strings.HasPrefix(state, LinkStatePrefix) }

// ErrLinkRefused is a callback the linking flow will not complete (replayed or unknown
// state, another browser, Google's refusal).
var ErrLinkRefused = errors.New("the account link was refused")

// HandleCallback finishes an HTTP link at the shared Google callback.
func (l *Linker) HandleCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var binding string
	if c, err := r.Cookie(bindCookie); err == nil {
		binding = c.Value
	}
	// The binding cookie has done its job either way.
	http.SetCookie(w, &http.Cookie{Name: bindCookie, Value: "", Path: cookiePathState, MaxAge: -1, HttpOnly: true, Secure: l.secure})
	link, err := l.finish(r.Context(), q.Get("state"), q.Get("code"), q.Get("error"), &binding)
	if err != nil {
		l.log.WarnContext(r.Context(), "link: callback refused", "reason", err.Error())
		l.page(w, http.StatusBadRequest, pageData{Title: "Account not connected", Message: userMessage(err)})
		return
	}
	l.page(w, http.StatusOK, pageData{Title: "Account connected", Message: link.Email + " is now connected to gwmcp. You can close this tab and go back to your assistant."})
}

func userMessage(err error) string {
	switch {
	case errors.Is(err, errGoogleDenied):
		return "Google sign-in was cancelled, so no account was connected."
	case errors.Is(err, ErrLinkRefused):
		return "This sign-in could not be matched to a request from this browser (it may have been used already or expired). Ask your assistant for a new link."
	}
	return "gwmcp could not finish connecting the account. Ask your assistant for a new link and try again."
}

var errGoogleDenied = errors.New("Google sign-in was cancelled")

// finish checks the state (single use) and, when binding is not nil, the browser binding,
// exchanges the code, stores the credential and links the account that actually signed in.
func (l *Linker) finish(ctx context.Context, state, code, gerr string, binding *string) (Link, error) {
	if !IsLinkState(state) {
		return Link{}, fmt.Errorf("%w: not a link state", ErrLinkRefused)
	}
	b, err := l.kv.Take(ctx, linkStateKey+digest(state))
	if err != nil {
		return Link{}, fmt.Errorf("%w: unknown, used or expired state", ErrLinkRefused)
	}
	var st linkState
	if err := json.Unmarshal(b, &st); err != nil {
		return Link{}, fmt.Errorf("identity: link state: %w", err)
	}
	if binding != nil && (st.Binding == "" || subtle.ConstantTimeCompare([]byte(digest(*binding)), []byte(st.Binding)) != 1) {
		return Link{}, fmt.Errorf("%w: the browser does not hold the binding cookie", ErrLinkRefused)
	}
	if gerr != "" {
		return Link{}, errGoogleDenied
	}
	if code == "" {
		return Link{}, fmt.Errorf("%w: no code", ErrLinkRefused)
	}
	tok, err := l.up.Exchange(ctx, code, st.Verifier, st.Nonce, st.Redirect)
	if err != nil {
		return Link{}, fmt.Errorf("identity: link: exchanging the Google code: %w", err)
	}
	return l.save(ctx, st.Principal, tok)
}

// save stores the Google tokens as the account's credential (keeping a refresh token Google
// did not resend) and links the account Google signed in to the principal.
func (l *Linker) save(ctx context.Context, p Principal, tok upstream.Tokens) (Link, error) {
	id := tok.Identity
	if id.Email == "" || id.Subject == "" {
		return Link{}, errors.New("identity: link: Google did not say which account signed in")
	}
	email := strings.ToLower(id.Email)
	cred := credentials.Credential{Email: email, Subject: id.Subject, AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
		TokenType: tok.TokenType, Expiry: tok.Expiry, Scopes: tok.Scopes, ClientID: l.clientID}
	if old, err := l.creds.Get(ctx, email); err == nil {
		if cred.RefreshToken.IsZero() {
			cred.RefreshToken = old.RefreshToken
		}
		if len(cred.Scopes) == 0 {
			cred.Scopes = old.Scopes // Google omitted "scope": nothing changed
		}
	}
	if err := l.creds.Put(ctx, cred); err != nil {
		return Link{}, fmt.Errorf("identity: link: storing the credential: %w", err)
	}
	link := Link{Email: email, Subject: id.Subject, Primary: p.Email != "" && CanonicalEmail(p.Email) == CanonicalEmail(email)}
	if p.Kind != KindLocal {
		if err := l.dir.Link(ctx, p.Subject, link); err != nil {
			return Link{}, err
		}
	}
	if l.onLinked != nil {
		l.onLinked(email)
	}
	l.log.InfoContext(ctx, "account linked", "account", email, "principal_kind", string(p.Kind))
	return link, nil
}
