package sandbox

import (
	"encoding/base64"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file holds the message resource and users.messages.*.

// gmMessage is one message in one mailbox.
type gmMessage struct {
	id, threadID string
	labels       []string
	internalDate time.Time
	historyID    uint64
	raw          []byte
	root         *mimePart
	snippet      string
	wasInbox     bool // INBOX before it was trashed, restored by untrash
	search       *searchDoc
}

// newMessage parses raw into a message of mb. Callers hold gm.mu.
func (gm *gmailService) newMessage(mb *mailbox, raw []byte, labels []string, at time.Time) (*gmMessage, error) {
	root, err := parseMIME(raw)
	if err != nil {
		return nil, err
	}
	m := &gmMessage{id: gm.newMessageID(at), raw: raw, root: root, internalDate: at,
		snippet: snippetOf(root), historyID: mb.bump()}
	m.threadID = m.id
	for _, l := range labels {
		m.addLabel(l)
	}
	return m, nil
}

func (m *gmMessage) header(name string) string { return headerValue(m.root.headers, name) }

func (m *gmMessage) hasLabel(id string) bool { return slices.Contains(m.labels, id) }

func (m *gmMessage) addLabel(id string) {
	if !m.hasLabel(id) {
		m.labels = append(m.labels, id)
	}
}

func (m *gmMessage) removeLabel(id string) {
	m.labels = slices.DeleteFunc(m.labels, func(l string) bool { return l == id })
}

// attachmentID derives a stable attachment id from the message id and the part id.
func attachmentID(msgID, partID string) string {
	return "ANGjdJ" + base64.RawURLEncoding.EncodeToString([]byte(msgID+"/"+partID))
}

// attachmentPart finds the part an attachment id names.
func (m *gmMessage) attachmentPart(attID string) *mimePart {
	var found *mimePart
	m.root.walk(func(p *mimePart) {
		if found == nil && p.isAttachment() && attachmentID(m.id, p.partID) == attID {
			found = p
		}
	})
	return found
}

// JSON shapes of the Message resource.
type (
	gmHeaderJSON struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	gmBodyJSON struct {
		AttachmentID string `json:"attachmentId,omitempty"`
		Size         int    `json:"size"`
		Data         string `json:"data,omitempty"`
	}
	gmPartJSON struct {
		PartID   string         `json:"partId"`
		MimeType string         `json:"mimeType"`
		Filename string         `json:"filename"`
		Headers  []gmHeaderJSON `json:"headers"`
		Body     gmBodyJSON     `json:"body"`
		Parts    []*gmPartJSON  `json:"parts,omitempty"`
	}
	gmMetaPayloadJSON struct {
		MimeType string         `json:"mimeType"`
		Headers  []gmHeaderJSON `json:"headers"`
	}
	gmMessageJSON struct {
		ID           string   `json:"id"`
		ThreadID     string   `json:"threadId"`
		LabelIDs     []string `json:"labelIds,omitempty"`
		Snippet      string   `json:"snippet,omitempty"`
		Payload      any      `json:"payload,omitempty"`
		SizeEstimate int      `json:"sizeEstimate,omitempty"`
		Raw          string   `json:"raw,omitempty"`
		HistoryID    string   `json:"historyId,omitempty"`
		InternalDate string   `json:"internalDate,omitempty"`
	}
)

// messageFormat is the `format` parameter of messages.get, threads.get and drafts.get.
type messageFormat struct {
	kind    string // full, metadata, minimal, raw
	headers []string
}

// parseFormat reads format and metadataHeaders, refusing full and raw to gmail.metadata
// alone as Google does.
func (c *gmailCall) parseFormat() (messageFormat, bool) {
	q := c.r.URL.Query()
	f := messageFormat{kind: strings.ToLower(q.Get("format")), headers: q["metadataHeaders"]}
	if f.kind == "" {
		f.kind = "full"
	}
	switch f.kind {
	case "full", "raw", "metadata", "minimal":
	default:
		c.fail(APIError{Code: http.StatusBadRequest, Reason: "invalidArgument",
			Message: "Invalid value at 'format' (type.googleapis.com/gmail.v1.Format), \"" + q.Get("format") + "\"", Location: "format"})
		return f, false
	}
	if (f.kind == "full" || f.kind == "raw") && c.metadataOnly() {
		c.fail(APIError{Code: http.StatusForbidden, Reason: "forbidden",
			Message: "Metadata scope doesn't allow format " + strings.ToUpper(f.kind)})
		return f, false
	}
	return f, true
}

// render returns m in format f.
func (m *gmMessage) render(f messageFormat) gmMessageJSON {
	out := m.ref()
	out.Snippet = m.snippet
	out.SizeEstimate = len(m.raw)
	out.HistoryID = strconv.FormatUint(m.historyID, 10)
	out.InternalDate = strconv.FormatInt(m.internalDate.UnixMilli(), 10)
	switch f.kind {
	case "full":
		out.Payload = m.partJSON(m.root)
	case "raw":
		out.Raw = base64.URLEncoding.EncodeToString(m.raw)
	case "metadata":
		var hs []gmHeaderJSON
		for _, h := range m.root.headers {
			if len(f.headers) == 0 || slices.ContainsFunc(f.headers, func(n string) bool { return strings.EqualFold(n, h.Name) }) {
				hs = append(hs, gmHeaderJSON{h.Name, h.Value})
			}
		}
		out.Payload = gmMetaPayloadJSON{MimeType: m.root.mediaType, Headers: hs}
	}
	return out
}

// ref is the short form list, send and modify return: id, threadId, labelIds.
func (m *gmMessage) ref() gmMessageJSON {
	return gmMessageJSON{ID: m.id, ThreadID: m.threadID, LabelIDs: slices.Clone(m.labels)}
}

func (m *gmMessage) partJSON(p *mimePart) *gmPartJSON {
	out := &gmPartJSON{PartID: p.partID, MimeType: p.mediaType, Filename: p.filename, Headers: []gmHeaderJSON{}}
	for _, h := range p.headers {
		out.Headers = append(out.Headers, gmHeaderJSON{h.Name, h.Value})
	}
	switch {
	case len(p.children) > 0:
		for _, c := range p.children {
			out.Parts = append(out.Parts, m.partJSON(c))
		}
	case p.isAttachment():
		out.Body = gmBodyJSON{AttachmentID: attachmentID(m.id, p.partID), Size: len(p.body)}
	default:
		out.Body = gmBodyJSON{Size: len(p.body)}
		if len(p.body) > 0 {
			out.Body.Data = base64.URLEncoding.EncodeToString(p.body)
		}
	}
	return out
}

// sortedMessages returns mb's messages newest first. Callers hold gm.mu.
func (mb *mailbox) sortedMessages() []*gmMessage {
	out := make([]*gmMessage, 0, len(mb.messages))
	for _, m := range mb.messages {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].internalDate.Equal(out[j].internalDate) {
			return out[i].internalDate.After(out[j].internalDate)
		}
		return out[i].id > out[j].id
	})
	return out
}

// matchMessages returns the messages of mb that the list parameters select, newest
// first. Like Gmail, SPAM and TRASH stay out unless asked for. Callers hold gm.mu.
func (mb *mailbox) matchMessages(p listParams, now time.Time) []*gmMessage {
	q := parseQuery(p.q)
	withSpamTrash := p.includeSpamTrash || q.mentionsSpamTrash() ||
		slices.Contains(p.labelIDs, "SPAM") || slices.Contains(p.labelIDs, "TRASH")
	var out []*gmMessage
	for _, m := range mb.sortedMessages() {
		if !withSpamTrash && (m.hasLabel("SPAM") || m.hasLabel("TRASH")) {
			continue
		}
		if !slices.ContainsFunc(p.labelIDs, func(l string) bool { return !m.hasLabel(l) }) && q.match(mb, m, now) {
			out = append(out, m)
		}
	}
	return out
}

// listMessages serves users.messages.list.
func (gm *gmailService) listMessages(c *gmailCall) {
	p, ok := c.parseListParams()
	if !ok {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	all := gm.box(c.email).matchMessages(p, gm.sb.now())
	start, end, next, _ := paginate(len(all), p.pageToken, p.maxResults, 100, 500)
	out := map[string]any{"resultSizeEstimate": len(all)}
	if end > start {
		refs := make([]map[string]string, 0, end-start)
		for _, m := range all[start:end] {
			refs = append(refs, map[string]string{"id": m.id, "threadId": m.threadID})
		}
		out["messages"] = refs
	}
	if next != "" {
		out["nextPageToken"] = next
	}
	c.ok(out)
}

// message finds the message named by the path's id, answering 400 or 404 itself.
// Callers hold gm.mu.
func (c *gmailCall) message(mb *mailbox, id string) *gmMessage {
	if !validID(id) {
		c.fail(gmailBadRequest("Invalid id value"))
		return nil
	}
	m := mb.messages[id]
	if m == nil {
		c.fail(gmailNotFound())
	}
	return m
}

// getMessage serves users.messages.get.
func (gm *gmailService) getMessage(c *gmailCall) {
	f, ok := c.parseFormat()
	if !ok {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	if m := c.message(gm.box(c.email), c.r.PathValue("id")); m != nil {
		c.ok(m.render(f))
	}
}

// getAttachment serves users.messages.attachments.get.
func (gm *gmailService) getAttachment(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	m := c.message(gm.box(c.email), c.r.PathValue("messageId"))
	if m == nil {
		return
	}
	attID := c.r.PathValue("id")
	p := m.attachmentPart(attID)
	if p == nil {
		c.fail(gmailBadRequest("Invalid attachment token"))
		return
	}
	c.ok(gmBodyJSON{AttachmentID: attID, Size: len(p.body), Data: base64.URLEncoding.EncodeToString(p.body)})
}

// labelChange is the body of messages.modify, threads.modify and messages.batchModify.
type labelChange struct {
	IDs            []string `json:"ids"`
	AddLabelIDs    []string `json:"addLabelIds"`
	RemoveLabelIDs []string `json:"removeLabelIds"`
}

// checkLabelChange refuses unknown labels and the labels only Gmail itself sets.
// Callers hold gm.mu.
func (c *gmailCall) checkLabelChange(mb *mailbox, ch labelChange) bool {
	for _, id := range append(slices.Clone(ch.AddLabelIDs), ch.RemoveLabelIDs...) {
		if id == "DRAFT" || id == "SENT" || id == "CHAT" || !mb.labelExists(id) {
			c.fail(gmailBadRequest("Invalid label: " + id))
			return false
		}
	}
	return true
}

// applyLabels adds then removes labels and bumps the history. Callers hold gm.mu.
func (mb *mailbox) applyLabels(m *gmMessage, add, remove []string) {
	for _, l := range add {
		m.addLabel(l)
	}
	for _, l := range remove {
		m.removeLabel(l)
	}
	m.historyID = mb.bump()
}

// modifyMessage serves users.messages.modify.
func (gm *gmailService) modifyMessage(c *gmailCall) {
	var ch labelChange
	if !c.decodeJSON(&ch, 1<<20) {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	m := c.message(mb, c.r.PathValue("id"))
	if m == nil || !c.checkLabelChange(mb, ch) {
		return
	}
	mb.applyLabels(m, ch.AddLabelIDs, ch.RemoveLabelIDs)
	c.ok(m.ref())
}

// batchModify serves users.messages.batchModify. Ids that do not exist are skipped.
func (gm *gmailService) batchModify(c *gmailCall) {
	var ch labelChange
	if !c.decodeJSON(&ch, 1<<20) || !c.checkBatchIDs(ch.IDs) {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	if !c.checkLabelChange(mb, ch) {
		return
	}
	for _, id := range ch.IDs {
		if m := mb.messages[id]; m != nil {
			mb.applyLabels(m, ch.AddLabelIDs, ch.RemoveLabelIDs)
		}
	}
	c.noContent()
}

func (c *gmailCall) checkBatchIDs(ids []string) bool {
	switch {
	case len(ids) == 0:
		c.fail(gmailBadRequest("No message ids specified."))
		return false
	case len(ids) > 1000:
		c.fail(gmailBadRequest("Too many ids specified; the limit is 1000."))
		return false
	}
	for _, id := range ids {
		if !validID(id) {
			c.fail(gmailBadRequest("Invalid id value"))
			return false
		}
	}
	return true
}

// batchDelete serves users.messages.batchDelete.
func (gm *gmailService) batchDelete(c *gmailCall) {
	var body labelChange
	if !c.decodeJSON(&body, 1<<20) || !c.checkBatchIDs(body.IDs) {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	for _, id := range body.IDs {
		mb.deleteMessage(id)
	}
	c.noContent()
}

// deleteMessage removes a message for good, with a draft that holds it. Callers hold gm.mu.
func (mb *mailbox) deleteMessage(id string) {
	if _, ok := mb.messages[id]; !ok {
		return
	}
	delete(mb.messages, id)
	for did, d := range mb.drafts {
		if d.messageID == id {
			delete(mb.drafts, did)
		}
	}
	mb.bump()
}

// deleteMessage serves users.messages.delete (https://mail.google.com/ only).
func (gm *gmailService) deleteMessage(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	if m := c.message(mb, c.r.PathValue("id")); m != nil {
		mb.deleteMessage(m.id)
		c.noContent()
	}
}

// trash moves a message to the trash, remembering whether it was in the inbox.
// Callers hold gm.mu.
func (mb *mailbox) trash(m *gmMessage) {
	if m.hasLabel("TRASH") {
		return
	}
	m.wasInbox = m.hasLabel("INBOX")
	mb.applyLabels(m, []string{"TRASH"}, []string{"INBOX", "SPAM"})
}

// untrash takes a message out of the trash. Callers hold gm.mu.
func (mb *mailbox) untrash(m *gmMessage) {
	if !m.hasLabel("TRASH") {
		return
	}
	var add []string
	if m.wasInbox {
		add = []string{"INBOX"}
	}
	mb.applyLabels(m, add, []string{"TRASH"})
}

// trashMessage serves users.messages.trash.
func (gm *gmailService) trashMessage(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	if m := c.message(mb, c.r.PathValue("id")); m != nil {
		mb.trash(m)
		c.ok(m.ref())
	}
}

// untrashMessage serves users.messages.untrash.
func (gm *gmailService) untrashMessage(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	if m := c.message(mb, c.r.PathValue("id")); m != nil {
		mb.untrash(m)
		c.ok(m.ref())
	}
}
