package sandbox

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds sending (users.messages.send), delivery to the other sandbox accounts,
// Gmail's threading rules and users.drafts.*.

// gmMessageIn is the Message a client sends: the raw RFC 2822 message and a thread.
type gmMessageIn struct {
	Raw      string `json:"raw"`
	ThreadID string `json:"threadId"`
}

// gmDraftIn is the Draft a client sends.
type gmDraftIn struct {
	ID      string       `json:"id"`
	Message *gmMessageIn `json:"message"`
}

// gmDraft is a draft: an id and the DRAFT message it holds.
type gmDraft struct {
	id, messageID string
}

const msgRawRequired = "'raw' RFC822 payload message string or uploading message via /upload/* URL required"

// decodeRaw decodes the raw field: proto3 JSON accepts standard and URL-safe base64, with
// or without padding.
func decodeRaw(s string) ([]byte, error) {
	var err error
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		var b []byte
		if b, err = enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, err
}

// rawInput returns the message bytes of a request: the uploaded media, or the decoded raw
// field. It answers the error itself.
func (c *gmailCall) rawInput(media []byte, in *gmMessageIn) ([]byte, bool) {
	raw := media
	if raw == nil {
		if in == nil || in.Raw == "" {
			c.fail(gmailBadRequest(msgRawRequired))
			return nil, false
		}
		var err error
		if raw, err = decodeRaw(in.Raw); err != nil {
			c.fail(gmailBadRequest("Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed"))
			return nil, false
		}
	}
	if len(raw) > gmailMaxMessageSize {
		c.fail(APIError{Code: http.StatusRequestEntityTooLarge, Reason: "badRequest", Message: "Request Entity Too Large"})
		return nil, false
	}
	return raw, true
}

var msgIDPattern = regexp.MustCompile(`^<[^<>@\s]+@[^<>@\s]+>$`)

// outgoing is a message on its way out, after Gmail's header fixes.
type outgoing struct {
	raw        []byte
	headers    []mimeHeader // unfolded, not decoded
	body       []byte
	recipients []string // lower-case addresses of To, Cc and Bcc
}

// prepareOutgoing checks a message a person sends or saves as a draft and applies what
// Gmail does: From becomes the sender unless it already is, and with stamp a missing Date
// and Message-ID are added. requireRecipients refuses a message without any.
func prepareOutgoing(raw []byte, sender Account, msgID string, now time.Time, stamp, requireRecipients bool) (*outgoing, *APIError) {
	hs, body, err := splitHeaders(raw)
	if err != nil || len(hs) == 0 {
		e := gmailBadRequest("Invalid RFC 2822 message: the header is malformed")
		if requireRecipients && len(hs) == 0 && err == nil {
			e = gmailBadRequest("Recipient address required")
		}
		return nil, &e
	}
	out := &outgoing{body: body}
	for _, name := range []string{"To", "Cc", "Bcc"} {
		for _, h := range hs {
			if !strings.EqualFold(h.Name, name) || strings.TrimSpace(h.Value) == "" {
				continue
			}
			list, err := mail.ParseAddressList(strings.TrimSpace(h.Value))
			if err != nil {
				e := gmailBadRequest("Invalid " + name + " header")
				return nil, &e
			}
			for _, a := range list {
				if addr := strings.ToLower(a.Address); !slices.Contains(out.recipients, addr) {
					out.recipients = append(out.recipients, addr)
				}
			}
		}
	}
	if requireRecipients && len(out.recipients) == 0 {
		e := gmailBadRequest("Recipient address required")
		return nil, &e
	}
	from := (&mail.Address{Name: sender.Name, Address: sender.Email}).String()
	fromOK := false
	hs = slices.DeleteFunc(hs, func(h mimeHeader) bool {
		if !strings.EqualFold(h.Name, "From") {
			return false
		}
		a, err := mail.ParseAddress(strings.TrimSpace(h.Value))
		if err == nil && strings.EqualFold(a.Address, sender.Email) && !fromOK {
			fromOK = true
			return false
		}
		return true
	})
	if !fromOK {
		hs = append([]mimeHeader{{Name: "From", Value: from, Raw: "From: " + from}}, hs...)
	}
	if stamp {
		if headerValue(hs, "Date") == "" {
			d := now.Format(time.RFC1123Z)
			hs = append(hs, mimeHeader{Name: "Date", Value: d, Raw: "Date: " + d})
		}
		if !msgIDPattern.MatchString(headerValue(hs, "Message-ID")) {
			hs = slices.DeleteFunc(hs, func(h mimeHeader) bool { return strings.EqualFold(h.Name, "Message-ID") })
			id := "<" + msgID + "@mail.sandbox.example>"
			hs = append(hs, mimeHeader{Name: "Message-ID", Value: id, Raw: "Message-ID: " + id})
		}
	}
	out.headers = hs
	out.raw = assemble(hs, body)
	return out, nil
}

// assemble writes a header block and a body back into a message.
func assemble(hs []mimeHeader, body []byte) []byte {
	var b bytes.Buffer
	for _, h := range hs {
		b.WriteString(h.Raw)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// subjectKey folds a subject for thread matching: case, whitespace and Re:/Fwd: prefixes.
func subjectKey(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	for {
		trimmed := s
		for _, p := range []string{"re:", "fwd:", "fw:", "aw:", "wg:", "sv:", "tr:"} {
			trimmed = strings.TrimSpace(strings.TrimPrefix(trimmed, p))
		}
		if trimmed == s {
			return s
		}
		s = trimmed
	}
}

// referencedIDs returns the message ids a message's References and In-Reply-To name.
func referencedIDs(root *mimePart) []string {
	var ids []string
	for _, name := range []string{"References", "In-Reply-To"} {
		for _, f := range strings.Fields(strings.ReplaceAll(headerValue(root.headers, name), ">", "> ")) {
			if msgIDPattern.MatchString(f) && !slices.Contains(ids, f) {
				ids = append(ids, f)
			}
		}
	}
	return ids
}

// repliesTo reports whether a new message belongs with m by Gmail's rule: it references m
// (References or In-Reply-To) and the subjects match once Re:/Fwd: are set aside.
func repliesTo(root *mimePart, refs []string, m *gmMessage) bool {
	return slices.Contains(refs, m.header("Message-ID")) &&
		subjectKey(headerValue(root.headers, "Subject")) == subjectKey(m.header("Subject"))
}

// senderThread is the thread a sent message or draft joins: the requested one when the
// message replies to one of its messages, else none (a new thread). ok is false for a
// thread id that does not exist. Callers hold gm.mu.
func (mb *mailbox) senderThread(requested string, root *mimePart) (threadID string, ok bool) {
	if requested == "" {
		return "", true
	}
	msgs := mb.threadMessages(requested)
	if !validID(requested) || len(msgs) == 0 {
		return "", false
	}
	refs := referencedIDs(root)
	for _, m := range msgs {
		if repliesTo(root, refs, m) {
			return requested, true
		}
	}
	return "", true
}

// receiverThread is the thread an arriving message joins: that of a message it replies
// to, else a new one. Callers hold gm.mu.
func (mb *mailbox) receiverThread(root *mimePart) string {
	refs := referencedIDs(root)
	if len(refs) == 0 {
		return ""
	}
	for _, m := range mb.sortedMessages() {
		if !m.hasLabel("DRAFT") && repliesTo(root, refs, m) {
			return m.threadID
		}
	}
	return ""
}

// store adds a message to mb in threadID ("" starts a new thread). Callers hold gm.mu.
func (mb *mailbox) store(m *gmMessage, threadID string) {
	if threadID != "" {
		m.threadID = threadID
	}
	mb.messages[m.id] = m
}

// deliver hands a sent message to every recipient that has a sandbox mailbox: a copy
// without Bcc in their inbox, threaded by their own mail, run through their filters. A
// message to oneself stays one message with SENT, INBOX and UNREAD. Callers hold gm.mu.
func (gm *gmailService) deliver(sender *mailbox, sent *gmMessage, out *outgoing, accounts []Account, now time.Time) {
	noBcc := slices.DeleteFunc(slices.Clone(out.headers), func(h mimeHeader) bool { return strings.EqualFold(h.Name, "Bcc") })
	for _, rcpt := range out.recipients {
		if !slices.ContainsFunc(accounts, func(a Account) bool { return strings.EqualFold(a.Email, rcpt) }) {
			continue
		}
		if rcpt == sender.email {
			sender.applyLabels(sent, []string{"INBOX", "UNREAD"}, nil)
			continue
		}
		rmb := gm.box(rcpt)
		hs := append([]mimeHeader{{Name: "Delivered-To", Value: rcpt, Raw: "Delivered-To: " + rcpt}}, noBcc...)
		m, err := gm.newMessage(rmb, assemble(hs, out.body), []string{"INBOX", "UNREAD", "CATEGORY_PERSONAL"}, now)
		if err != nil {
			continue // cannot happen: the sender's copy parsed
		}
		rmb.store(m, rmb.receiverThread(m.root))
		rmb.applyFilters(m, gm)
	}
}

// sendMessage serves users.messages.send, on the metadata and the upload path.
func (gm *gmailService) sendMessage(c *gmailCall) {
	var in gmMessageIn
	media, ok := c.readUpload(&in)
	if !ok {
		return
	}
	raw, ok := c.rawInput(media, &in)
	if !ok {
		return
	}
	accounts := gm.sb.Accounts()
	sender := accountIn(accounts, c.email)
	now := gm.sb.now()
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	id := gm.newMessageID(now)
	out, apiErr := prepareOutgoing(raw, sender, id, now, true, true)
	if apiErr != nil {
		c.fail(*apiErr)
		return
	}
	m, err := gm.newMessage(mb, out.raw, []string{"SENT"}, now)
	if err != nil {
		c.fail(gmailBadRequest("Invalid RFC 2822 message"))
		return
	}
	thread, ok := mb.senderThread(in.ThreadID, m.root)
	if !ok {
		c.fail(gmailBadRequest("Invalid thread_id value"))
		return
	}
	mb.store(m, thread)
	gm.deliver(mb, m, out, accounts, now)
	c.ok(m.ref())
}

// accountIn finds the account of email in accounts, or a bare one with just the address.
func accountIn(accounts []Account, email string) Account {
	for _, a := range accounts {
		if strings.EqualFold(a.Email, email) {
			return a
		}
	}
	return Account{Email: email}
}

// draftRef is the short form drafts.create, update and list return.
func draftRef(d *gmDraft, m *gmMessage, withLabels bool) map[string]any {
	msg := map[string]any{"id": m.id, "threadId": m.threadID}
	if withLabels {
		msg["labelIds"] = slices.Clone(m.labels)
	}
	return map[string]any{"id": d.id, "message": msg}
}

// saveDraftMessage stores raw as a DRAFT message of mb. Callers hold gm.mu; it answers
// errors itself.
func (gm *gmailService) saveDraftMessage(c *gmailCall, mb *mailbox, raw []byte, threadID string) *gmMessage {
	now := gm.sb.now()
	sender := accountIn(gm.sb.Accounts(), c.email) // s.mu is never held while gm.mu is taken
	out, apiErr := prepareOutgoing(raw, sender, "", now, false, false)
	if apiErr != nil {
		c.fail(*apiErr)
		return nil
	}
	m, err := gm.newMessage(mb, out.raw, []string{"DRAFT"}, now)
	if err != nil {
		c.fail(gmailBadRequest("Invalid RFC 2822 message"))
		return nil
	}
	thread, ok := mb.senderThread(threadID, m.root)
	if !ok {
		c.fail(gmailBadRequest("Invalid thread_id value"))
		return nil
	}
	mb.store(m, thread)
	return m
}

// draftInput reads a Draft from the plain or the upload path and returns its raw message.
func (c *gmailCall) draftInput() (gmDraftIn, []byte, bool) {
	var in gmDraftIn
	media, ok := c.readUpload(&in)
	if !ok {
		return in, nil, false
	}
	raw, ok := c.rawInput(media, in.Message)
	return in, raw, ok
}

// createDraft serves users.drafts.create.
func (gm *gmailService) createDraft(c *gmailCall) {
	in, raw, ok := c.draftInput()
	if !ok {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	threadID := ""
	if in.Message != nil {
		threadID = in.Message.ThreadID
	}
	m := gm.saveDraftMessage(c, mb, raw, threadID)
	if m == nil {
		return
	}
	mb.draftSeq++
	d := &gmDraft{id: "r" + strconv.FormatInt(m.internalDate.UnixMilli()*1000+int64(mb.draftSeq%1000), 10), messageID: m.id}
	mb.drafts[d.id] = d
	c.ok(draftRef(d, m, true))
}

// draft finds the draft of the path's id, answering 404 itself. Callers hold gm.mu.
func (c *gmailCall) draft(mb *mailbox, id string) (*gmDraft, *gmMessage) {
	d := mb.drafts[id]
	if d == nil || mb.messages[d.messageID] == nil {
		c.fail(gmailNotFound())
		return nil, nil
	}
	return d, mb.messages[d.messageID]
}

// listDrafts serves users.drafts.list.
func (gm *gmailService) listDrafts(c *gmailCall) {
	p, ok := c.parseListParams()
	if !ok {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	byMsg := map[string]*gmDraft{}
	for _, d := range mb.drafts {
		byMsg[d.messageID] = d
	}
	var refs []map[string]any
	for _, m := range mb.matchMessages(p, gm.sb.now()) {
		if d := byMsg[m.id]; d != nil {
			refs = append(refs, draftRef(d, m, false))
		}
	}
	start, end, next, _ := paginate(len(refs), p.pageToken, p.maxResults, 100, 500)
	out := map[string]any{"resultSizeEstimate": len(refs)}
	if end > start {
		out["drafts"] = refs[start:end]
	}
	if next != "" {
		out["nextPageToken"] = next
	}
	c.ok(out)
}

// getDraft serves users.drafts.get.
func (gm *gmailService) getDraft(c *gmailCall) {
	f, ok := c.parseFormat()
	if !ok {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	if d, m := c.draft(gm.box(c.email), c.r.PathValue("id")); d != nil {
		c.ok(map[string]any{"id": d.id, "message": m.render(f)})
	}
}

// updateDraft serves users.drafts.update: the draft's message is replaced by a new one.
func (gm *gmailService) updateDraft(c *gmailCall) {
	in, raw, ok := c.draftInput()
	if !ok {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	d, old := c.draft(mb, c.r.PathValue("id"))
	if d == nil {
		return
	}
	threadID := ""
	if in.Message != nil {
		threadID = in.Message.ThreadID
	}
	m := gm.saveDraftMessage(c, mb, raw, threadID)
	if m == nil {
		return
	}
	delete(mb.messages, old.id)
	d.messageID = m.id
	c.ok(draftRef(d, m, true))
}

// deleteDraft serves users.drafts.delete: the draft and its message are gone for good.
func (gm *gmailService) deleteDraft(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	if d, m := c.draft(mb, c.r.PathValue("id")); d != nil {
		mb.deleteMessage(m.id)
		c.noContent()
	}
}

// sendDraft serves users.drafts.send: the draft's message (replaced first when the
// request carries one) is sent and the draft disappears. The message keeps its id and
// thread and trades DRAFT for SENT.
func (gm *gmailService) sendDraft(c *gmailCall) {
	var in gmDraftIn
	media, ok := c.readUpload(&in)
	if !ok {
		return
	}
	var raw []byte
	if media != nil || in.Message != nil && in.Message.Raw != "" {
		if raw, ok = c.rawInput(media, in.Message); !ok {
			return
		}
	}
	if in.ID == "" {
		c.fail(gmailBadRequest("Invalid draft: the id is required"))
		return
	}
	accounts := gm.sb.Accounts()
	now := gm.sb.now()
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	d, m := c.draft(mb, in.ID)
	if d == nil {
		return
	}
	if raw == nil {
		raw = m.raw
	}
	out, apiErr := prepareOutgoing(raw, accountIn(accounts, c.email), m.id, now, true, true)
	if apiErr != nil {
		c.fail(*apiErr)
		return
	}
	root, err := parseMIME(out.raw)
	if err != nil {
		c.fail(gmailBadRequest("Invalid RFC 2822 message"))
		return
	}
	m.raw, m.root, m.snippet, m.search, m.internalDate = out.raw, root, snippetOf(root), nil, now
	m.removeLabel("DRAFT")
	mb.applyLabels(m, []string{"SENT"}, nil)
	delete(mb.drafts, d.id)
	gm.deliver(mb, m, out, accounts, now)
	c.ok(m.ref())
}
