package gmail

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// This file asks the person, through MCP elicitation, whether mail may go to recipients
// outside their allow list. Only an explicit "send" sends; anything else does not.

// decision is what becomes of a message that needs confirmation.
type decision int

const (
	decideSend   decision = iota // the person chose to send
	decideDraft                  // save a draft instead (chosen, or the client cannot ask)
	decideCancel                 // declined, cancelled or dismissed: nothing is sent or saved
)

// confirmTimeout bounds how long a send waits for the person's answer.
const confirmTimeout = 5 * time.Minute

// elicitationCutoff is the first protocol version in which a server may no longer send
// elicitation requests of its own during a tool call (SEP-2322: they travel as input
// requests of the call's result instead, which tools.AddGoogle cannot return yet).
const elicitationCutoff = "2026-07-28"

// canElicit reports whether the client of the call can be asked.
func canElicit(req *mcp.CallToolRequest) bool {
	if req == nil || req.Session == nil {
		return false
	}
	ip := req.Session.InitializeParams()
	return ip != nil && ip.Capabilities != nil && ip.Capabilities.Elicitation != nil && ip.ProtocolVersion < elicitationCutoff
}

// confirmation is what the person is shown.
type confirmation struct {
	What       string // "send this email", "send this reply", "forward this email"
	Subject    string
	To, Cc     []string
	Bcc        []string
	NotAllowed []string
	Preview    string
}

func (cf confirmation) message(account string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "gwmcp wants to %s from %s to recipients who are not on your Gmail allow list: %s.\n\n",
		cf.What, account, strings.Join(cf.NotAllowed, ", "))
	fmt.Fprintf(&b, "Subject: %s\nTo: %s\n", cf.Subject, strings.Join(cf.To, ", "))
	if len(cf.Cc) > 0 {
		fmt.Fprintf(&b, "Cc: %s\n", strings.Join(cf.Cc, ", "))
	}
	if len(cf.Bcc) > 0 {
		fmt.Fprintf(&b, "Bcc: %s\n", strings.Join(cf.Bcc, ", "))
	}
	if p := strings.TrimSpace(cf.Preview); p != "" {
		if r := []rune(p); len(r) > 300 {
			p = string(r[:300]) + "…"
		}
		fmt.Fprintf(&b, "\n%s\n", p)
	}
	b.WriteString("\nChoose send to send it now, save_draft to keep it as a draft, or cancel.")
	return b.String()
}

// confirmSchema is the form: one choice, with nothing chosen by default.
var confirmSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"action": map[string]any{"type": "string", "title": "What should happen to this email?",
			"enum": []string{"send", "save_draft", "cancel"}},
	},
	"required": []string{"action"},
}

// confirm asks the person. A client that cannot be asked, or a request that fails, gives a
// draft (never a send); why says which.
func (k *kit) confirm(ctx context.Context, c tools.Call, cf confirmation) (d decision, why string) {
	if !canElicit(c.Request) {
		return decideDraft, "your MCP client cannot ask you to confirm recipients"
	}
	ctx, cancel := context.WithTimeout(ctx, confirmTimeout)
	defer cancel()
	res, err := c.Request.Session.Elicit(ctx, &mcp.ElicitParams{Message: cf.message(c.Account), RequestedSchema: confirmSchema})
	if err != nil {
		if ctx.Err() != nil {
			return decideCancel, "no answer came in time"
		}
		if c.Log != nil {
			c.Log.WarnContext(ctx, "gmail: confirmation request failed", "error", err.Error())
		}
		return decideDraft, "the confirmation request to your MCP client failed"
	}
	switch res.Action {
	case "accept":
	case "decline":
		return decideCancel, "you declined it"
	default:
		return decideCancel, "you cancelled it"
	}
	switch res.Content["action"] {
	case "send":
		return decideSend, "you confirmed it"
	case "save_draft":
		return decideDraft, "you chose to save it as a draft"
	}
	return decideCancel, "you cancelled it"
}
