package gmail

import (
	"cmp"
	"context"
	"fmt"
	"html"
	"net/mail"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	gmailapi "google.golang.org/api/gmail/v1"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// This file holds replies and forwards. A reply threads: In-Reply-To names the original's
// Message-ID, References is the original's References (or its In-Reply-To) plus that id,
// the subject gets one "Re: ", and the message is sent in the original's thread, so it
// joins the conversation in the sender's mailbox and in every recipient's.

// ReplyInput is the input of reply_to_gmail_message and draft_gmail_reply.
type ReplyInput struct {
	tools.AccountParam
	MessageID   string   `json:"message_id" jsonschema:"The id of the message to answer; the reply joins its conversation."`
	Body        string   `json:"body" jsonschema:"The reply (the original is quoted below it). Plain text, or HTML when content_type is 'html'."`
	ReplyMode   string   `json:"reply_mode,omitempty" enum:"sender_only,reply_all,custom" jsonschema:"'sender_only' (default): the original's sender (its Reply-To if set). 'reply_all': the sender and every To and Cc recipient except you. 'custom': to, cc and bcc below."`
	To          []string `json:"to,omitempty" jsonschema:"With reply_mode 'custom': the recipients."`
	Cc          []string `json:"cc,omitempty" jsonschema:"With reply_mode 'custom': Cc recipients."`
	Bcc         []string `json:"bcc,omitempty" jsonschema:"With reply_mode 'custom': Bcc recipients."`
	ContentType string   `json:"content_type,omitempty" enum:"plain,html,mixed" jsonschema:"'plain', 'html' (body is HTML) or 'mixed' (body is text, html_body HTML). Default: 'mixed' when html_body is given, else 'plain'."`
	HTMLBody    string   `json:"html_body,omitempty" jsonschema:"The HTML version, with content_type 'mixed'."`
}

// DraftReplyInput is the input of draft_gmail_reply.
type DraftReplyInput struct {
	ReplyInput
	DraftID string `json:"draft_id,omitempty" jsonschema:"An existing draft to replace instead of creating a new one."`
}

// ReplyOutput is the result of reply_to_gmail_message.
type ReplyOutput struct {
	SendOutput
	OriginalMessageID string `json:"original_message_id"`
	ReplyMode         string `json:"reply_mode"`
}

// DraftReplyOutput is the result of draft_gmail_reply and draft_gmail_forward.
type DraftReplyOutput struct {
	DraftOutput
	OriginalMessageID string `json:"original_message_id"`
}

// ForwardInput is the input of forward_gmail_message.
type ForwardInput struct {
	tools.AccountParam
	MessageID   string   `json:"message_id" jsonschema:"The id of the message to forward."`
	To          []string `json:"to,omitempty" jsonschema:"Recipients; 'me' or 'myself' is the account. Default: myself."`
	Body        string   `json:"body,omitempty" jsonschema:"An optional note above the forwarded message."`
	ContentType string   `json:"content_type,omitempty" enum:"plain,html,mixed" jsonschema:"'plain' (the original as text), 'html' (body is HTML; the original's HTML kept) or 'mixed' (both versions; html_body is the note's HTML). Default: 'mixed'."`
	HTMLBody    string   `json:"html_body,omitempty" jsonschema:"The note's HTML version, with content_type 'mixed'."`
	Cc          []string `json:"cc,omitempty"`
	Bcc         []string `json:"bcc,omitempty"`
}

// ForwardOutput is the result of forward_gmail_message.
type ForwardOutput struct {
	SendOutput
	OriginalMessageID       string   `json:"original_message_id"`
	HTMLPreserved           bool     `json:"html_preserved" jsonschema:"Whether the original's HTML was forwarded."`
	AttachmentsNotForwarded []string `json:"attachments_not_forwarded,omitempty" jsonschema:"The original's attachments, which a forward does not carry; download them with download_gmail_attachment if needed."`
}

// DraftForwardInput is the input of draft_gmail_forward.
type DraftForwardInput struct{ ForwardInput }

// DraftForwardOutput is the result of draft_gmail_forward.
type DraftForwardOutput struct {
	DraftOutput
	OriginalMessageID       string   `json:"original_message_id"`
	HTMLPreserved           bool     `json:"html_preserved"`
	AttachmentsNotForwarded []string `json:"attachments_not_forwarded,omitempty"`
}

func (k *kit) registerReplies(r *tools.Registry) {
	add(r, k.d, &mcp.Tool{Name: "reply_to_gmail_message", Annotations: writes("Reply to an email", false, false),
		Description: "Reply to a Gmail message in its conversation: the reply is threaded (In-Reply-To, References, the " +
			"same thread), its subject gets 'Re: ', and the original is quoted below the reply. reply_mode chooses the " +
			"recipients: the sender (default), everyone (reply_all) or custom. Recipients outside the person's allow " +
			"list need their confirmation, or the reply is saved as a draft. Returns the reply's message and thread id."},
		tools.Spec{Scopes: []string{ScopeReadonly, ScopeSend}, Tier: tools.Core}, map[string]any{"reply_mode": "sender_only"}, k.reply)
	add(r, k.d, &mcp.Tool{Name: "draft_gmail_reply", Annotations: writes("Draft a reply", false, false),
		Description: "Save a threaded reply to a Gmail message as a draft without sending it (same recipients and quoting " +
			"as reply_to_gmail_message). Returns the draft id."},
		tools.Spec{Scopes: []string{ScopeReadonly, ScopeCompose}, Tier: tools.Extended}, map[string]any{"reply_mode": "sender_only"}, k.draftReply)
	add(r, k.d, &mcp.Tool{Name: "forward_gmail_message", Annotations: writes("Forward an email", false, false),
		Description: "Forward a Gmail message to new recipients with an optional note: the original's headers (From, " +
			"Date, Subject, To, Cc) and content follow a '---------- Forwarded message ---------' line, its HTML kept " +
			"unless content_type is 'plain'. Attachments are not carried (listed in attachments_not_forwarded). " +
			"Recipients outside the person's allow list need their confirmation, or the forward is saved as a draft."},
		tools.Spec{Scopes: []string{ScopeReadonly, ScopeSend}, Tier: tools.Extended}, map[string]any{"to": []string{"myself"}, "content_type": "mixed"}, k.forward)
	add(r, k.d, &mcp.Tool{Name: "draft_gmail_forward", Annotations: writes("Draft a forward", false, false),
		Description: "Save a forward of a Gmail message as a draft without sending it (same content as " +
			"forward_gmail_message). Returns the draft id."},
		tools.Spec{Scopes: []string{ScopeReadonly, ScopeCompose}, Tier: tools.Extended}, map[string]any{"to": []string{"myself"}, "content_type": "mixed"}, k.draftForward)
}

// original is what a reply or forward needs of the message it answers.
type original struct {
	id, threadID                           string
	subject, from, to, cc, replyTo, date   string
	messageID, references, inReplyTo, text string
	html                                   string
	attachments                            []string
}

func (k *kit) loadOriginal(ctx context.Context, svc *gmailapi.Service, id string) (*original, error) {
	if strings.TrimSpace(id) == "" {
		return nil, tools.Errorf("message_id is required: pass the id of the message (from search_gmail_messages).")
	}
	m, err := svc.Users.Messages.Get("me", id).Format("full").Context(ctx).Do()
	if err != nil {
		return nil, err
	}
	p := m.Payload
	o := &original{id: m.Id, threadID: m.ThreadId, subject: header(p, "Subject"), from: header(p, "From"),
		to: header(p, "To"), cc: header(p, "Cc"), replyTo: header(p, "Reply-To"), date: header(p, "Date"),
		messageID: strings.TrimSpace(header(p, "Message-ID")), references: header(p, "References"),
		inReplyTo: strings.TrimSpace(header(p, "In-Reply-To")), text: plainBody(p), html: htmlBody(p)}
	for _, a := range attachmentsOf(p) {
		o.attachments = append(o.attachments, a.Filename)
	}
	return o, nil
}

// replySubject adds one "Re: " unless the subject already starts with one.
func replySubject(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 3 && strings.EqualFold(s[:3], "re:") {
		return s
	}
	return "Re: " + s
}

// forwardSubject adds one "Fwd: " unless the subject already starts with Fwd: or Fw:.
func forwardSubject(s string) string {
	s = strings.TrimSpace(s)
	l := strings.ToLower(s)
	if strings.HasPrefix(l, "fwd:") || strings.HasPrefix(l, "fw:") {
		return s
	}
	return "Fwd: " + s
}

// references is the References of a reply to o (RFC 5322 section 3.6.4): the original's
// References, or its In-Reply-To when it has none, followed by its Message-ID.
func (o *original) referencesForReply() string {
	refs := strings.Fields(o.references)
	if len(refs) == 0 && strings.Count(o.inReplyTo, "<") == 1 {
		refs = []string{o.inReplyTo}
	}
	if o.messageID != "" {
		refs = append(refs, o.messageID)
	}
	return strings.Join(refs, " ")
}

func quoteText(o *original) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n\nOn %s, %s wrote:\n", cmp.Or(o.date, "an earlier date"), cmp.Or(o.from, "the sender"))
	for l := range strings.SplitSeq(strings.TrimRight(o.text, "\n"), "\n") {
		b.WriteString("> " + l + "\n")
	}
	return b.String()
}

func quoteHTML(o *original) string {
	inner := o.html
	if inner == "" {
		inner = textToHTML(o.text)
	}
	return fmt.Sprintf("<br><br><div class=\"gmail_quote\">On %s, %s wrote:<br><blockquote style=\"margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex\">%s</blockquote></div>",
		html.EscapeString(cmp.Or(o.date, "an earlier date")), html.EscapeString(cmp.Or(o.from, "the sender")), inner)
}

// replyRecipients chooses To, Cc and Bcc of a reply.
func replyRecipients(in ReplyInput, o *original, self string) (to, cc, bcc []*mail.Address, err error) {
	mode := cmp.Or(in.ReplyMode, "sender_only")
	parse := func(s string) []*mail.Address {
		list, _ := mail.ParseAddressList(s) // a malformed header yields no one rather than failing
		return list
	}
	notSelf := func(list []*mail.Address) []*mail.Address {
		var out []*mail.Address
		for _, a := range list {
			if !strings.EqualFold(a.Address, self) && !containsAddr(out, a) {
				out = append(out, a)
			}
		}
		return out
	}
	sender := parse(cmp.Or(o.replyTo, o.from))
	fromSelf := len(parse(o.from)) == 1 && strings.EqualFold(parse(o.from)[0].Address, self)
	switch mode {
	case "sender_only":
		to = sender
		if fromSelf { // answering one's own message goes to its recipients, as Gmail does
			to = notSelf(parse(o.to))
		}
	case "reply_all":
		to = notSelf(append(sender, parse(o.to)...))
		cc = notSelf(parse(o.cc))
		cc = slicesDeleteAddrs(cc, to)
	case "custom":
		if len(in.To) == 0 {
			return nil, nil, nil, tools.Errorf("reply_mode 'custom' needs the recipients in to.")
		}
		if to, err = parseRecipients("to", in.To, self); err != nil {
			return nil, nil, nil, err
		}
		if cc, err = parseRecipients("cc", in.Cc, self); err != nil {
			return nil, nil, nil, err
		}
		if bcc, err = parseRecipients("bcc", in.Bcc, self); err != nil {
			return nil, nil, nil, err
		}
	default:
		return nil, nil, nil, tools.Errorf("reply_mode must be 'sender_only', 'reply_all' or 'custom'.")
	}
	if len(to) == 0 {
		to = sender
	}
	if len(to) == 0 {
		return nil, nil, nil, tools.Errorf("The original message has no sender address to reply to: use reply_mode 'custom' with to.")
	}
	return to, cc, bcc, nil
}

func containsAddr(list []*mail.Address, a *mail.Address) bool {
	for _, b := range list {
		if strings.EqualFold(a.Address, b.Address) {
			return true
		}
	}
	return false
}

func slicesDeleteAddrs(list, remove []*mail.Address) []*mail.Address {
	var out []*mail.Address
	for _, a := range list {
		if !containsAddr(remove, a) {
			out = append(out, a)
		}
	}
	return out
}

// replyEmail builds the reply to o.
func (k *kit) replyEmail(account string, in ReplyInput, o *original) (*email, error) {
	to, cc, bcc, err := replyRecipients(in, o, account)
	if err != nil {
		return nil, err
	}
	e := &email{From: account, To: to, Cc: cc, Bcc: bcc, Subject: replySubject(o.subject),
		InReplyTo: o.messageID, References: o.referencesForReply()}
	if e.Text, e.HTML, err = bodies(in.ContentType, in.Body, in.HTMLBody, quoteText(o), quoteHTML(o)); err != nil {
		return nil, err
	}
	return e, nil
}

func (k *kit) reply(ctx context.Context, c tools.Call, in ReplyInput) (ReplyOutput, error) {
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return ReplyOutput{}, err
	}
	o, err := k.loadOriginal(ctx, svc, in.MessageID)
	if err != nil {
		return ReplyOutput{}, err
	}
	e, err := k.replyEmail(c.Account, in, o)
	if err != nil {
		return ReplyOutput{}, err
	}
	res, err := k.deliver(ctx, c, svc, e, o.threadID, "send this reply")
	if err != nil {
		return ReplyOutput{}, err
	}
	return ReplyOutput{SendOutput: res, OriginalMessageID: o.id, ReplyMode: cmp.Or(in.ReplyMode, "sender_only")}, nil
}

func (k *kit) draftReply(ctx context.Context, c tools.Call, in DraftReplyInput) (DraftReplyOutput, error) {
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return DraftReplyOutput{}, err
	}
	o, err := k.loadOriginal(ctx, svc, in.MessageID)
	if err != nil {
		return DraftReplyOutput{}, err
	}
	e, err := k.replyEmail(c.Account, in.ReplyInput, o)
	if err != nil {
		return DraftReplyOutput{}, err
	}
	d, err := k.writeDraft(ctx, svc, e, o.threadID, in.DraftID)
	if err != nil {
		return DraftReplyOutput{}, err
	}
	return DraftReplyOutput{DraftOutput: d, OriginalMessageID: o.id}, nil
}

// forwardEmail builds the forward of o; it reports whether the original's HTML was kept.
func (k *kit) forwardEmail(account string, in ForwardInput, o *original) (*email, bool, error) {
	e := &email{From: account, Subject: forwardSubject(o.subject)}
	var err error
	to := in.To
	if len(to) == 0 {
		to = []string{"myself"}
	}
	if e.To, err = parseRecipients("to", to, account); err != nil {
		return nil, false, err
	}
	if e.Cc, err = parseRecipients("cc", in.Cc, account); err != nil {
		return nil, false, err
	}
	if e.Bcc, err = parseRecipients("bcc", in.Bcc, account); err != nil {
		return nil, false, err
	}
	if len(e.To) == 0 {
		return nil, false, tools.Errorf("to is empty: pass at least one recipient to forward to.")
	}
	ct := cmp.Or(in.ContentType, "mixed")
	fields := [][2]string{{"From", o.from}, {"Date", o.date}, {"Subject", o.subject}, {"To", o.to}, {"Cc", o.cc}}
	var tb, hb strings.Builder
	tb.WriteString("\n\n---------- Forwarded message ---------\n")
	hb.WriteString("<br><br><div class=\"gmail_quote\">---------- Forwarded message ---------<br>")
	for _, f := range fields {
		if f[1] != "" {
			fmt.Fprintf(&tb, "%s: %s\n", f[0], f[1])
			fmt.Fprintf(&hb, "%s: %s<br>", f[0], html.EscapeString(f[1]))
		}
	}
	tb.WriteString("\n" + o.text + "\n")
	kept := o.html != "" && ct != "plain"
	if kept {
		hb.WriteString("<br>" + o.html + "</div>")
	} else {
		hb.WriteString("<br>" + textToHTML(o.text) + "</div>")
	}
	if e.Text, e.HTML, err = bodies(ct, in.Body, in.HTMLBody, tb.String(), hb.String()); err != nil {
		return nil, false, err
	}
	return e, kept, nil
}

func (k *kit) forward(ctx context.Context, c tools.Call, in ForwardInput) (ForwardOutput, error) {
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return ForwardOutput{}, err
	}
	o, err := k.loadOriginal(ctx, svc, in.MessageID)
	if err != nil {
		return ForwardOutput{}, err
	}
	e, kept, err := k.forwardEmail(c.Account, in, o)
	if err != nil {
		return ForwardOutput{}, err
	}
	res, err := k.deliver(ctx, c, svc, e, "", "forward this email")
	if err != nil {
		return ForwardOutput{}, err
	}
	return ForwardOutput{SendOutput: res, OriginalMessageID: o.id, HTMLPreserved: kept && e.HTML != "",
		AttachmentsNotForwarded: o.attachments}, nil
}

func (k *kit) draftForward(ctx context.Context, c tools.Call, in DraftForwardInput) (DraftForwardOutput, error) {
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return DraftForwardOutput{}, err
	}
	o, err := k.loadOriginal(ctx, svc, in.MessageID)
	if err != nil {
		return DraftForwardOutput{}, err
	}
	e, kept, err := k.forwardEmail(c.Account, in.ForwardInput, o)
	if err != nil {
		return DraftForwardOutput{}, err
	}
	d, err := k.writeDraft(ctx, svc, e, "", "")
	if err != nil {
		return DraftForwardOutput{}, err
	}
	return DraftForwardOutput{DraftOutput: d, OriginalMessageID: o.id, HTMLPreserved: kept && e.HTML != "",
		AttachmentsNotForwarded: o.attachments}, nil
}
