// Package gmail owns gwmcp's Gmail tools: searching and reading mail, threads and attachments;
// composing, sending, replying and forwarding (messages built here with net/mail and
// mime/multipart, sent raw or as a media upload); drafts; labels; filters; and the per-person
// recipient allow list that makes a send to anyone outside it wait for the person's
// confirmation (MCP elicitation), or become a draft when the client cannot ask.
//
// Tool names and parameters follow the Python server gwmcp replaces, so prompts written for it
// keep working. Every tool is registered with tools.AddGoogle: the resolver picks the acting
// account, and errors reach the model as sentences.
package gmail

import (
	"context"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// Service is the Google service name of every tool here.
const Service = "gmail"

// The least-privilege Gmail scopes the tools declare.
const (
	ScopeReadonly      = "https://www.googleapis.com/auth/gmail.readonly"
	ScopeSend          = "https://www.googleapis.com/auth/gmail.send"
	ScopeCompose       = "https://www.googleapis.com/auth/gmail.compose"
	ScopeLabels        = "https://www.googleapis.com/auth/gmail.labels"
	ScopeModify        = "https://www.googleapis.com/auth/gmail.modify"
	ScopeSettingsBasic = "https://www.googleapis.com/auth/gmail.settings.basic"
)

// DownloadKind is the transfer kind under which attachment downloads are served over HTTP.
const DownloadKind = "gmail-attachment"

// kit is what every handler shares.
type kit struct {
	d     *tools.Deps
	allow allowList
}

// Register adds the Gmail tools to r. d.Transfers (attachment downloads) and d.KV (the
// recipient allow list) may be nil: the tools that need them then say so.
func Register(r *tools.Registry, d *tools.Deps) {
	k := &kit{d: d, allow: allowList{kv: d.KV}}
	k.registerRead(r)
	k.registerCompose(r)
	k.registerReplies(r)
	k.registerLabels(r)
	k.registerFilters(r)
	k.registerAttachments(r)
	k.registerAllowList(r)
	if d.Transfers != nil {
		d.Transfers.HandleDownload(DownloadKind, k.serveAttachment)
	}
}

// accountInput is what tools.AddGoogle needs of an input (tools.AccountParam gives it).
type accountInput interface{ Account() string }

// add registers a Gmail tool. Its schemas are strict (no union types), with the allowed
// values of fields tagged `enum:"a,b"` and the input defaults given (the Python server's
// defaults, which the SDK applies before the handler runs); tools builds them when the tool
// is installed.
func add[In accountInput, Out any](r *tools.Registry, d *tools.Deps, t *mcp.Tool, spec tools.Spec, defaults map[string]any,
	h func(ctx context.Context, c tools.Call, in In) (Out, error)) {
	spec.Service, spec.Defaults = Service, defaults
	tools.AddGoogle(r, d, t, spec, h)
}

// Annotation helpers.
func readOnly(title string) *mcp.ToolAnnotations {
	return &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(true)}
}

func writes(title string, destructive, idempotent bool) *mcp.ToolAnnotations {
	return &mcp.ToolAnnotations{Title: title, DestructiveHint: new(destructive), IdempotentHint: idempotent, OpenWorldHint: new(true)}
}

// webURL links a message in Gmail's web interface, in the right account.
func webURL(account, messageID string) string {
	return "https://mail.google.com/mail/?authuser=" + url.QueryEscape(account) + "#all/" + url.PathEscape(messageID)
}

// isSelfAlias reports whether a recipient entry means the acting account, as the Python
// server's "me"/"myself" do.
func isSelfAlias(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "me", "myself":
		return true
	}
	return false
}
