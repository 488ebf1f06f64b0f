package tools

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/api/googleapi"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// AccountParam is embedded in every Google tool's input: the account to act as.
type AccountParam struct {
	UserGoogleEmail string `json:"user_google_email,omitempty" jsonschema:"The Google account to act as. Leave empty (or use 'me') for your default account; only accounts you connected to gwmcp are allowed."`
}

// Account returns the requested account ("" for the default).
func (a AccountParam) Account() string { return a.UserGoogleEmail }

// accountArg is implemented by every Google tool input (through AccountParam).
type accountArg interface{ Account() string }

// AccountResolver is identity's resolver as the tools see it.
type AccountResolver interface {
	Resolve(ctx context.Context, req identity.Request) (identity.Resolved, error)
}

// SessionSelection returns the account an MCP session selected, if any.
type SessionSelection interface {
	Selected(ctx context.Context, sessionID, principal string) string
}

// Deps is what Google tools need at run time.
type Deps struct {
	Resolver  AccountResolver
	Clients   *workspace.Factory
	Selection SessionSelection // nil: no per-session selection (stdio has one session)
	// Local is the principal of requests that carry no token: the local user on stdio, or the
	// single user of an HTTP server running without authentication on loopback.
	Local identity.Principal
	// FromToken converts the authorization server's verified token (req.Extra.TokenInfo) to
	// a principal; tokens verified by gwmcp's other flows carry their principal directly.
	FromToken func(*auth.TokenInfo) (identity.Principal, bool)
	// AuthURL makes the URL that re-authorizes an account whose grant Google revoked.
	AuthURL identity.AuthURLFunc
	// Transfers moves large content in and out of tools (nil: tools that need it say so).
	Transfers Transfers
	// KV keeps per-principal tool settings (for example the Gmail recipient allow list);
	// values are sealed at rest. Keys start with the tool's service name.
	KV     store.Store
	Logs   *ClientLogs
	Logger *slog.Logger
}

// Call is what a Google tool handler receives besides its input.
type Call struct {
	// Account is the address of the Google account that acts.
	Account   string
	Principal identity.Principal
	Log       *slog.Logger
	Request   *mcp.CallToolRequest
}

// Transfers moves large content without base64 in tool arguments (DESIGN.md, issue 7): on
// stdio, tools read and write files under a configured local directory; over HTTP, a tool
// hands out a signed, single-use, short-lived URL bound to the principal, and gwmcp streams
// the bytes between that URL and Google with constant memory and a size cap.
type Transfers interface {
	// Local reports whether tools should use local files (stdio) rather than URLs.
	Local() bool
	// OpenLocal opens an existing file under the local directory; paths that leave it
	// (.., absolute paths elsewhere, symlinks out) are refused.
	OpenLocal(name string) (*os.File, error)
	// CreateLocal creates a new file under the local directory and returns it with its path.
	CreateLocal(name string) (*os.File, string, error)
	// UploadURL mints a URL at which the caller PUTs the bytes of one upload; kind names the
	// handler registered with HandleUpload, params are its arguments.
	UploadURL(ctx context.Context, p identity.Principal, account, kind string, params map[string]string) (url string, expires time.Time, err error)
	// DownloadURL mints a URL from which the caller GETs content once.
	DownloadURL(ctx context.Context, p identity.Principal, account, kind string, params map[string]string) (url string, expires time.Time, err error)
	// HandleUpload registers what runs when bytes arrive at an upload URL of that kind: it
	// streams body (at most the configured cap) to Google as account and returns the result
	// shown to the uploader as JSON.
	HandleUpload(kind string, h func(ctx context.Context, account string, params map[string]string, body io.Reader, size int64) (any, error))
	// HandleDownload registers what serves a download URL of that kind: it streams the content
	// to w (setting Content-Type and Content-Disposition).
	HandleDownload(kind string, h func(ctx context.Context, account string, params map[string]string, w http.ResponseWriter) error)
}

// principalExtra is the TokenInfo.Extra key carrying the verified principal.
const principalExtra = "gwmcp/principal"

// TokenInfoFor is the SDK TokenInfo the HTTP layer attaches for a verified principal; its
// UserID makes the SDK refuse a session to any other principal.
func TokenInfoFor(p identity.Principal, expiry time.Time) *auth.TokenInfo {
	return &auth.TokenInfo{Scopes: p.Scopes, Expiration: expiry, UserID: p.Subject, Extra: map[string]any{principalExtra: p}}
}

// PrincipalOf returns the principal of a tool call: the verified token's, else the local
// principal.
func (d *Deps) PrincipalOf(req *mcp.CallToolRequest) identity.Principal {
	if req != nil && req.Extra != nil && req.Extra.TokenInfo != nil {
		ti := req.Extra.TokenInfo
		if p, ok := ti.Extra[principalExtra].(identity.Principal); ok {
			return p
		}
		if d.FromToken != nil {
			if p, ok := d.FromToken(ti); ok {
				return p
			}
		}
		// A verified token whose principal cannot be read must not fall back to the local
		// principal: that would hand a remote caller the server's own accounts.
		return identity.Principal{}
	}
	return d.Local
}

// AddGoogle registers a tool that acts as a Google account: before h runs, the resolver picks
// the account (refusing any the caller has not linked); errors become tool errors written for
// the model (an authorization URL, Google's reason), never Go error strings.
func AddGoogle[In accountArg, Out any](r *Registry, d *Deps, t *mcp.Tool, spec Spec, h func(ctx context.Context, c Call, in In) (Out, error)) {
	Add(r, t, spec, func(ctx context.Context, req *mcp.CallToolRequest, in In) (*mcp.CallToolResult, Out, error) {
		var zero Out
		p := d.PrincipalOf(req)
		ireq := identity.Request{Principal: p, Requested: in.Account(), Scopes: spec.Scopes}
		if d.Selection != nil && req.Session != nil && req.Session.ID() != "" {
			ireq.Selected = d.Selection.Selected(ctx, req.Session.ID(), p.Subject)
		}
		res, err := d.Resolver.Resolve(ctx, ireq)
		if err != nil {
			return nil, zero, d.toolError(ctx, p, err)
		}
		log := d.Logger
		if log == nil {
			log = DiscardLogger()
		}
		if d.Logs != nil {
			log = d.Logs.For(req.Session)
		}
		out, err := h(ctx, Call{Account: res.Email, Principal: p, Log: log, Request: req}, in)
		if err != nil {
			return nil, zero, d.toolError(ctx, p, err)
		}
		return nil, out, nil
	})
}

// ToolError is an error whose message is already written for the model.
type ToolError struct{ Message string }

func (e *ToolError) Error() string { return e.Message }

// Errorf returns a tool error with a message for the model.
func Errorf(msg string) error { return &ToolError{Message: msg} }

// toolError turns any error into a message for the model: identity's errors as they are
// (they carry the authorization URL), a revoked Google grant as a fresh authorization URL, and
// everything else through workspace.Describe (Google's reason, or a plain sentence).
func (d *Deps) toolError(ctx context.Context, p identity.Principal, err error) error {
	var te *ToolError
	var na *identity.NeedsAuthError
	var fa *identity.ForeignAccountError
	var aa *identity.AmbiguousAccountError
	var re *workspace.ReauthError
	var ge *googleapi.Error
	switch {
	case errors.As(err, &te), errors.As(err, &na), errors.As(err, &fa), errors.As(err, &aa):
		return err
	case errors.As(err, &re):
		if d.AuthURL != nil {
			if u, uerr := d.AuthURL(ctx, p, re.Email, re.Scopes); uerr == nil {
				return &identity.NeedsAuthError{Email: re.Email, Scopes: re.Scopes, URL: u,
					Reason: "Google no longer accepts gwmcp's authorization for " + re.Email + " (it was revoked or has expired)."}
			}
		}
	case errors.As(err, &ge):
	default:
		if d.Logger != nil {
			d.Logger.WarnContext(ctx, "tool failed", "error", err.Error())
		}
	}
	return &ToolError{Message: workspace.Describe(err)}
}
