package gmail

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/mail"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	gmailapi "google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// This file holds sending and drafting: send_gmail_message, draft_gmail_message and the
// delivery every sending tool shares (the allow-list check, the person's confirmation, the
// raw or uploaded message).

// mediaThreshold is the message size from which messages go as a media upload rather than
// in the raw field of a JSON request.
const mediaThreshold = 4 << 20

// SendInput is the input of send_gmail_message.
type SendInput struct {
	tools.AccountParam
	To          []string `json:"to,omitempty" jsonschema:"Recipient addresses ('name@example.com' or 'Name <name@example.com>'); 'me' or 'myself' is the sending account. Default: myself."`
	Subject     string   `json:"subject" jsonschema:"The subject line."`
	Body        string   `json:"body" jsonschema:"The message. Plain text, or HTML when content_type is 'html'."`
	ContentType string   `json:"content_type,omitempty" enum:"plain,html,mixed" jsonschema:"'plain': body is text. 'html': body is HTML (a text version is added). 'mixed': body is text and html_body the HTML version. Default: 'mixed' when html_body is given, else 'plain'."`
	HTMLBody    string   `json:"html_body,omitempty" jsonschema:"The HTML version of the message, with content_type 'mixed'."`
	Cc          []string `json:"cc,omitempty" jsonschema:"Cc recipients."`
	Bcc         []string `json:"bcc,omitempty" jsonschema:"Bcc recipients (hidden from the others)."`
}

// SendOutput is the result of the sending tools.
type SendOutput struct {
	Action               string   `json:"action" enum:"sent,saved_draft" jsonschema:"'sent', or 'saved_draft' when the message was kept as a draft instead of being sent."`
	MessageID            string   `json:"message_id,omitempty"`
	ThreadID             string   `json:"thread_id,omitempty"`
	DraftID              string   `json:"draft_id,omitempty" jsonschema:"The draft's id when action is saved_draft."`
	Subject              string   `json:"subject"`
	To                   []string `json:"to,omitempty"`
	Cc                   []string `json:"cc,omitempty"`
	Bcc                  []string `json:"bcc,omitempty"`
	RecipientCount       int      `json:"recipient_count"`
	RecipientsNotAllowed []string `json:"recipients_not_allowed,omitempty" jsonschema:"Recipients outside the person's allow list."`
	Message              string   `json:"message"`
}

// DraftInput is the input of draft_gmail_message.
type DraftInput struct {
	tools.AccountParam
	Subject     string   `json:"subject" jsonschema:"The subject line."`
	Body        string   `json:"body" jsonschema:"The message. Plain text, or HTML when content_type is 'html'."`
	To          []string `json:"to,omitempty" jsonschema:"Recipients; a draft may have none yet. 'me' or 'myself' is the account."`
	ContentType string   `json:"content_type,omitempty" enum:"plain,html,mixed" jsonschema:"'plain', 'html' (body is HTML) or 'mixed' (body is text, html_body HTML). Default: 'mixed' when html_body is given, else 'plain'."`
	HTMLBody    string   `json:"html_body,omitempty" jsonschema:"The HTML version, with content_type 'mixed'."`
	Cc          []string `json:"cc,omitempty"`
	Bcc         []string `json:"bcc,omitempty"`
	DraftID     string   `json:"draft_id,omitempty" jsonschema:"An existing draft to replace instead of creating a new one (it stays in its thread)."`
}

// DraftOutput is the result of the drafting tools.
type DraftOutput struct {
	DraftID        string   `json:"draft_id"`
	MessageID      string   `json:"message_id"`
	ThreadID       string   `json:"thread_id"`
	Subject        string   `json:"subject"`
	To             []string `json:"to,omitempty"`
	Cc             []string `json:"cc,omitempty"`
	Bcc            []string `json:"bcc,omitempty"`
	RecipientCount int      `json:"recipient_count"`
	Updated        bool     `json:"updated" jsonschema:"True when an existing draft was replaced."`
}

func (k *kit) registerCompose(r *tools.Registry) {
	add(r, k.d, &mcp.Tool{Name: "send_gmail_message", Annotations: writes("Send an email", false, false),
		Description: "Send a new email from the user's Gmail (plain text, HTML, or both), to To, Cc and Bcc recipients. " +
			"For answers to an existing email use reply_to_gmail_message, which keeps the conversation threaded. If the " +
			"person keeps a recipient allow list and a recipient is not on it, they are asked to confirm first; when their " +
			"client cannot ask, the email is saved as a draft instead and the result says so (action 'saved_draft'). " +
			"Returns the sent message's id and thread id."},
		tools.Spec{Scopes: []string{ScopeSend}, Tier: tools.Core}, map[string]any{"to": []string{"myself"}}, k.send)
	add(r, k.d, &mcp.Tool{Name: "draft_gmail_message", Annotations: writes("Draft an email", false, false),
		Description: "Save an email as a Gmail draft without sending it (recipients optional), or replace an existing " +
			"draft with draft_id. Returns the draft id. Use draft_gmail_reply for a draft answer to an email."},
		tools.Spec{Scopes: []string{ScopeCompose}, Tier: tools.Extended}, nil, k.draft)
}

func (k *kit) send(ctx context.Context, c tools.Call, in SendInput) (SendOutput, error) {
	e, err := k.newEmail(c.Account, in.To, in.Cc, in.Bcc, in.Subject, in.ContentType, in.Body, in.HTMLBody, "", "", true)
	if err != nil {
		return SendOutput{}, err
	}
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return SendOutput{}, err
	}
	return k.deliver(ctx, c, svc, e, "", "send this email")
}

// newEmail builds the email of a send or draft from the tools' parameters; with defaultSelf
// an empty To means the account itself (the Python server's default).
func (k *kit) newEmail(account string, to, cc, bcc []string, subject, contentType, body, htmlBody, extraText, extraHTML string,
	defaultSelf bool) (*email, error) {
	if len(to) == 0 && defaultSelf {
		to = []string{"myself"}
	}
	e := &email{From: account, Subject: subject}
	var err error
	if e.To, err = parseRecipients("to", to, account); err != nil {
		return nil, err
	}
	if e.Cc, err = parseRecipients("cc", cc, account); err != nil {
		return nil, err
	}
	if e.Bcc, err = parseRecipients("bcc", bcc, account); err != nil {
		return nil, err
	}
	if defaultSelf && len(e.To)+len(e.Cc)+len(e.Bcc) == 0 {
		return nil, tools.Errorf("The email has no recipient: pass at least one address in to, cc or bcc.")
	}
	if e.Text, e.HTML, err = bodies(contentType, body, htmlBody, extraText, extraHTML); err != nil {
		return nil, err
	}
	return e, nil
}

// deliver sends e in threadID ("" for a new thread), unless recipients are outside the
// person's allow list: then the person confirms (send), or it becomes a draft, or nothing
// happens. what names the action for the person ("send this email").
func (k *kit) deliver(ctx context.Context, c tools.Call, svc *gmailapi.Service, e *email, threadID, what string) (SendOutput, error) {
	raw, err := e.build()
	if err != nil {
		return SendOutput{}, err
	}
	out := SendOutput{Subject: e.Subject, To: addrList(e.To), Cc: addrList(e.Cc), Bcc: addrList(e.Bcc),
		RecipientCount: len(e.recipients())}
	notAllowed, err := k.allow.notAllowed(ctx, c.Principal, c.Account, e.recipients())
	if err != nil {
		return SendOutput{}, err
	}
	out.RecipientsNotAllowed = notAllowed
	why := ""
	if len(notAllowed) > 0 {
		var d decision
		d, why = k.confirm(ctx, c, confirmation{What: what, Subject: e.Subject, To: out.To, Cc: out.Cc, Bcc: out.Bcc,
			NotAllowed: notAllowed, Preview: e.Text})
		switch d {
		case decideCancel:
			return SendOutput{}, tools.Errorf(fmt.Sprintf("Not sent: %s are not on the person's allow list and %s. "+
				"Nothing was sent or saved; do not retry unless the person asks.", strings.Join(notAllowed, ", "), why))
		case decideDraft:
			dr, err := saveDraft(ctx, svc, raw, threadID, "")
			if err != nil {
				return SendOutput{}, tools.Errorf(fmt.Sprintf("Not sent: %s are not on the person's allow list and %s; "+
					"saving it as a draft instead failed too (%s)", strings.Join(notAllowed, ", "), why, workspace.Describe(err)))
			}
			out.Action, out.DraftID = "saved_draft", dr.Id
			if dr.Message != nil {
				out.MessageID, out.ThreadID = dr.Message.Id, dr.Message.ThreadId
			}
			out.Message = fmt.Sprintf("Not sent: %s are not on the person's allow list and %s, so it was saved as "+
				"draft %s instead. The person can review and send it from Gmail's Drafts, or add the recipients with "+
				"manage_gmail_allow_list.", strings.Join(notAllowed, ", "), why, dr.Id)
			return out, nil
		}
	}
	m, err := sendRaw(ctx, svc, raw, threadID)
	if err != nil {
		return SendOutput{}, err
	}
	out.Action, out.MessageID, out.ThreadID = "sent", m.Id, m.ThreadId
	out.Message = fmt.Sprintf("Sent to %d recipient(s).", out.RecipientCount)
	if why != "" {
		out.Message += " The person confirmed the recipients outside their allow list."
	}
	return out, nil
}

func addrList(list []*mail.Address) []string {
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, a.String())
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// sendRaw sends a built message: in the raw field, or as a message/rfc822 upload when large.
func sendRaw(ctx context.Context, svc *gmailapi.Service, raw []byte, threadID string) (*gmailapi.Message, error) {
	msg := &gmailapi.Message{ThreadId: threadID}
	call := svc.Users.Messages.Send("me", msg).Context(ctx)
	if len(raw) >= mediaThreshold {
		call = call.Media(bytes.NewReader(raw), googleapi.ContentType("message/rfc822"))
	} else {
		msg.Raw = base64.URLEncoding.EncodeToString(raw)
	}
	return call.Do()
}

// saveDraft creates a draft of a built message, or replaces draft draftID.
func saveDraft(ctx context.Context, svc *gmailapi.Service, raw []byte, threadID, draftID string) (*gmailapi.Draft, error) {
	d := &gmailapi.Draft{Id: draftID, Message: &gmailapi.Message{ThreadId: threadID}}
	large := len(raw) >= mediaThreshold
	if !large {
		d.Message.Raw = base64.URLEncoding.EncodeToString(raw)
	}
	if draftID != "" {
		call := svc.Users.Drafts.Update("me", draftID, d).Context(ctx)
		if large {
			call = call.Media(bytes.NewReader(raw), googleapi.ContentType("message/rfc822"))
		}
		return call.Do()
	}
	call := svc.Users.Drafts.Create("me", d).Context(ctx)
	if large {
		call = call.Media(bytes.NewReader(raw), googleapi.ContentType("message/rfc822"))
	}
	return call.Do()
}

func (k *kit) draft(ctx context.Context, c tools.Call, in DraftInput) (DraftOutput, error) {
	e, err := k.newEmail(c.Account, in.To, in.Cc, in.Bcc, in.Subject, in.ContentType, in.Body, in.HTMLBody, "", "", false)
	if err != nil {
		return DraftOutput{}, err
	}
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return DraftOutput{}, err
	}
	threadID := ""
	if in.DraftID != "" { // keep the draft in its thread, as the Python server does
		cur, err := svc.Users.Drafts.Get("me", in.DraftID).Format("minimal").Context(ctx).Do()
		if err != nil {
			return DraftOutput{}, err
		}
		if cur.Message != nil {
			threadID = cur.Message.ThreadId
		}
	}
	return k.writeDraft(ctx, svc, e, threadID, in.DraftID)
}

// writeDraft saves e as a draft (new, or replacing draftID) and describes it.
func (k *kit) writeDraft(ctx context.Context, svc *gmailapi.Service, e *email, threadID, draftID string) (DraftOutput, error) {
	raw, err := e.build()
	if err != nil {
		return DraftOutput{}, err
	}
	d, err := saveDraft(ctx, svc, raw, threadID, draftID)
	if err != nil {
		return DraftOutput{}, err
	}
	out := DraftOutput{DraftID: d.Id, Subject: e.Subject, To: addrList(e.To), Cc: addrList(e.Cc), Bcc: addrList(e.Bcc),
		RecipientCount: len(e.recipients()), Updated: draftID != ""}
	if d.Message != nil {
		out.MessageID, out.ThreadID = d.Message.Id, d.Message.ThreadId
	}
	return out, nil
}
