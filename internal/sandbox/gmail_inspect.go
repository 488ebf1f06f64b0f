package sandbox

import (
	"slices"
	"strings"
	"time"
)

// This file gives tests of other packages a read-only view of the fake Gmail.

// GmailHeader is one header field of a message, RFC 2047 words decoded.
type GmailHeader struct {
	Name, Value string
}

// GmailAttachment is a file attached to a message.
type GmailAttachment struct {
	Filename, MimeType string
	Data               []byte
}

// GmailMessageInfo describes one message of a sandbox mailbox.
type GmailMessageInfo struct {
	ID, ThreadID string
	LabelIDs     []string
	Headers      []GmailHeader
	InternalDate time.Time
	Snippet      string
	// Body is the text/plain body, or the text of the HTML body when there is no plain one.
	Body        string
	Attachments []GmailAttachment
	// Raw is the RFC 2822 message as stored.
	Raw []byte
	// DraftID is set for the message of a draft.
	DraftID string
}

// Header returns the first value of the named header field, case-insensitively.
func (m GmailMessageInfo) Header(name string) string {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// HasLabel reports whether the message carries the label id (INBOX, Label_1, ...).
func (m GmailMessageInfo) HasLabel(id string) bool { return slices.Contains(m.LabelIDs, id) }

// GmailLabelInfo is a user label of a mailbox.
type GmailLabelInfo struct {
	ID, Name string
}

// GmailMessages returns every message of the mailbox of email (inbox, sent, drafts, spam
// and trash alike), newest first. It is empty for an unknown mailbox.
func (s *Sandbox) GmailMessages(email string) []GmailMessageInfo {
	return s.gmailMessages(email, func(*gmMessage) bool { return true })
}

// GmailSent returns the messages the account with this email sent, newest first.
func (s *Sandbox) GmailSent(email string) []GmailMessageInfo {
	return s.gmailMessages(email, func(m *gmMessage) bool { return m.hasLabel("SENT") })
}

// GmailLabels returns the user labels of the mailbox of email, in creation order.
func (s *Sandbox) GmailLabels(email string) []GmailLabelInfo {
	gm := s.gmail()
	if gm == nil {
		return nil
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.boxes[strings.ToLower(email)]
	if mb == nil {
		return nil
	}
	var out []GmailLabelInfo
	for _, l := range mb.userLabels() {
		out = append(out, GmailLabelInfo{ID: l.ID, Name: l.Name})
	}
	return out
}

func (s *Sandbox) gmailMessages(email string, keep func(*gmMessage) bool) []GmailMessageInfo {
	gm := s.gmail()
	if gm == nil {
		return nil
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.boxes[strings.ToLower(email)]
	if mb == nil {
		return nil
	}
	drafts := map[string]string{}
	for _, d := range mb.drafts {
		drafts[d.messageID] = d.id
	}
	var out []GmailMessageInfo
	for _, m := range mb.sortedMessages() {
		if keep(m) {
			out = append(out, m.info(drafts[m.id]))
		}
	}
	return out
}

func (m *gmMessage) info(draftID string) GmailMessageInfo {
	info := GmailMessageInfo{ID: m.id, ThreadID: m.threadID, LabelIDs: slices.Clone(m.labels),
		InternalDate: m.internalDate, Snippet: m.snippet, Body: m.root.bodyText(), Raw: slices.Clone(m.raw), DraftID: draftID}
	for _, h := range m.root.headers {
		info.Headers = append(info.Headers, GmailHeader{Name: h.Name, Value: h.Value})
	}
	m.root.walk(func(p *mimePart) {
		if p.isAttachment() {
			info.Attachments = append(info.Attachments, GmailAttachment{Filename: p.filename, MimeType: p.mediaType,
				Data: slices.Clone(p.body)})
		}
	})
	return info
}
