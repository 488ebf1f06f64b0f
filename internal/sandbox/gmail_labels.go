package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// This file holds users.labels.* and users.settings.filters.*.

// gmailSystemLabels are Gmail's system labels; their id is their name.
var gmailSystemLabels = []string{"INBOX", "SENT", "DRAFT", "TRASH", "SPAM", "STARRED", "IMPORTANT", "UNREAD",
	"CHAT", "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS"}

// gmailReservedNames are names a user label cannot take.
var gmailReservedNames = []string{"inbox", "sent", "sent mail", "draft", "drafts", "trash", "bin", "spam", "starred",
	"important", "unread", "chat", "chats", "all mail", "scheduled", "snoozed", "outbox"}

// gmLabel is a user label.
type gmLabel struct {
	ID                    string        `json:"id"`
	Name                  string        `json:"name"`
	MessageListVisibility string        `json:"messageListVisibility,omitempty"`
	LabelListVisibility   string        `json:"labelListVisibility,omitempty"`
	Type                  string        `json:"type"`
	Color                 *gmLabelColor `json:"color,omitempty"`
}

type gmLabelColor struct {
	TextColor       string `json:"textColor"`
	BackgroundColor string `json:"backgroundColor"`
}

// gmLabelJSON is a label with its counts, as labels.get returns it.
type gmLabelJSON struct {
	gmLabel
	MessagesTotal  *int `json:"messagesTotal,omitempty"`
	MessagesUnread *int `json:"messagesUnread,omitempty"`
	ThreadsTotal   *int `json:"threadsTotal,omitempty"`
	ThreadsUnread  *int `json:"threadsUnread,omitempty"`
}

func systemLabel(id string) gmLabel {
	l := gmLabel{ID: id, Name: id, Type: "system"}
	switch id {
	case "INBOX", "SENT", "DRAFT", "TRASH", "SPAM", "STARRED", "IMPORTANT", "UNREAD":
		l.MessageListVisibility, l.LabelListVisibility = "hide", "labelShow"
	}
	return l
}

// labelExists reports whether id is a system label or one of mb's labels.
func (mb *mailbox) labelExists(id string) bool {
	return slices.Contains(gmailSystemLabels, id) || mb.labels[id] != nil
}

// labelKey folds a label name the way the search language writes it: case-insensitive,
// with spaces, slashes, dashes and underscores equivalent.
func labelKey(name string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' || r == '_' {
			return '-'
		}
		return r
	}, strings.ToLower(strings.TrimSpace(name)))
}

// labelsNamed returns the ids of the labels a search names (label:projects, in:sent).
func (mb *mailbox) labelsNamed(name string) []string {
	key := labelKey(name)
	var ids []string
	for _, id := range gmailSystemLabels {
		if labelKey(id) == key || id == "DRAFT" && key == "drafts" {
			ids = append(ids, id)
		}
	}
	for id, l := range mb.labels {
		if labelKey(l.Name) == key {
			ids = append(ids, id)
		}
	}
	return ids
}

// labelJSON adds the counts to a label. Callers hold gm.mu.
func (mb *mailbox) labelJSON(l gmLabel) gmLabelJSON {
	var msgs, unread int
	threads, unreadThreads := map[string]bool{}, map[string]bool{}
	for _, m := range mb.messages {
		if !m.hasLabel(l.ID) {
			continue
		}
		msgs++
		threads[m.threadID] = true
		if m.hasLabel("UNREAD") {
			unread++
			unreadThreads[m.threadID] = true
		}
	}
	nt, nu := len(threads), len(unreadThreads)
	return gmLabelJSON{gmLabel: l, MessagesTotal: &msgs, MessagesUnread: &unread, ThreadsTotal: &nt, ThreadsUnread: &nu}
}

// listLabels serves users.labels.list: system labels, then user labels, without counts.
func (gm *gmailService) listLabels(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	out := make([]gmLabel, 0, len(gmailSystemLabels)+len(mb.labels))
	for _, id := range gmailSystemLabels {
		out = append(out, systemLabel(id))
	}
	for _, l := range mb.userLabels() {
		out = append(out, *l)
	}
	c.ok(map[string]any{"labels": out})
}

// userLabels returns mb's labels in creation order. Callers hold gm.mu.
func (mb *mailbox) userLabels() []*gmLabel {
	out := make([]*gmLabel, 0, len(mb.labels))
	for _, l := range mb.labels {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return labelSeq(out[i].ID) < labelSeq(out[j].ID) })
	return out
}

func labelSeq(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "Label_"))
	return n
}

// label finds a label by id, answering 404 itself. Callers hold gm.mu.
func (c *gmailCall) label(mb *mailbox, id string) (gmLabel, bool) {
	if slices.Contains(gmailSystemLabels, id) {
		return systemLabel(id), true
	}
	if l := mb.labels[id]; l != nil {
		return *l, true
	}
	c.fail(gmailNotFound())
	return gmLabel{}, false
}

// getLabel serves users.labels.get, with counts.
func (gm *gmailService) getLabel(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	if l, ok := c.label(mb, c.r.PathValue("id")); ok {
		c.ok(mb.labelJSON(l))
	}
}

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// checkLabel validates a user label's fields against the others of mb, answering the
// error itself. Callers hold gm.mu.
func (c *gmailCall) checkLabel(mb *mailbox, l *gmLabel) bool {
	l.Name = strings.TrimSpace(l.Name)
	if l.Name == "" || len(l.Name) > 225 || strings.ContainsAny(l.Name, "\r\n") {
		c.fail(gmailBadRequest("Invalid label name"))
		return false
	}
	conflict := slices.Contains(gmailReservedNames, strings.ToLower(l.Name)) ||
		slices.ContainsFunc(gmailSystemLabels, func(id string) bool { return strings.EqualFold(id, l.Name) })
	for id, other := range mb.labels {
		if id != l.ID && strings.EqualFold(other.Name, l.Name) {
			conflict = true
		}
	}
	if conflict {
		c.fail(APIError{Code: http.StatusConflict, Reason: "alreadyExists", Message: "Label name exists or conflicts"})
		return false
	}
	switch l.MessageListVisibility {
	case "", "show", "hide":
	default:
		c.fail(gmailBadRequest(fmt.Sprintf("Invalid value for messageListVisibility: %q", l.MessageListVisibility)))
		return false
	}
	switch l.LabelListVisibility {
	case "", "labelShow", "labelShowIfUnread", "labelHide":
	default:
		c.fail(gmailBadRequest(fmt.Sprintf("Invalid value for labelListVisibility: %q", l.LabelListVisibility)))
		return false
	}
	if l.Color != nil && (!hexColor.MatchString(l.Color.TextColor) || !hexColor.MatchString(l.Color.BackgroundColor)) {
		c.fail(gmailBadRequest("Label color must give textColor and backgroundColor as #rrggbb"))
		return false
	}
	l.Type = "user"
	return true
}

// createLabel serves users.labels.create.
func (gm *gmailService) createLabel(c *gmailCall) {
	var l gmLabel
	if !c.decodeJSON(&l, 1<<20) {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	l.ID = ""
	if !c.checkLabel(mb, &l) {
		return
	}
	c.ok(mb.addLabel(l))
}

// addLabel stores a new user label. Callers hold gm.mu and have checked it.
func (mb *mailbox) addLabel(l gmLabel) gmLabel {
	mb.labelSeq++
	l.ID = "Label_" + strconv.Itoa(mb.labelSeq)
	l.Type = "user"
	if l.MessageListVisibility == "" {
		l.MessageListVisibility = "show"
	}
	if l.LabelListVisibility == "" {
		l.LabelListVisibility = "labelShow"
	}
	mb.labels[l.ID] = &l
	mb.bump()
	return l
}

// patchLabel serves users.labels.patch: only the fields given change.
func (gm *gmailService) patchLabel(c *gmailCall) { gm.changeLabel(c, true) }

// updateLabel serves users.labels.update: the label is replaced.
func (gm *gmailService) updateLabel(c *gmailCall) { gm.changeLabel(c, false) }

func (gm *gmailService) changeLabel(c *gmailCall, patch bool) {
	var in gmLabel
	if !c.decodeJSON(&in, 1<<20) {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	id := c.r.PathValue("id")
	cur, ok := c.label(mb, id)
	if !ok {
		return
	}
	if cur.Type == "system" {
		c.fail(gmailBadRequest("Invalid update request"))
		return
	}
	if in.ID != "" && in.ID != id {
		c.fail(gmailBadRequest("Label id in the body does not match the path"))
		return
	}
	next := in
	if patch {
		next = cur
		if in.Name != "" {
			next.Name = in.Name
		}
		if in.MessageListVisibility != "" {
			next.MessageListVisibility = in.MessageListVisibility
		}
		if in.LabelListVisibility != "" {
			next.LabelListVisibility = in.LabelListVisibility
		}
		if in.Color != nil {
			next.Color = in.Color
		}
	}
	next.ID = id
	if !c.checkLabel(mb, &next) {
		return
	}
	mb.labels[id] = &next
	mb.bump()
	c.ok(next)
}

// deleteLabel serves users.labels.delete: the label leaves every message.
func (gm *gmailService) deleteLabel(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	id := c.r.PathValue("id")
	l, ok := c.label(mb, id)
	if !ok {
		return
	}
	if l.Type == "system" {
		c.fail(gmailBadRequest("Invalid delete request"))
		return
	}
	delete(mb.labels, id)
	for _, m := range mb.messages {
		if m.hasLabel(id) {
			mb.applyLabels(m, nil, []string{id})
		}
	}
	c.noContent()
}

// gmFilter is a Filter resource.
type gmFilter struct {
	ID       string          `json:"id"`
	Criteria *gmFilterCrit   `json:"criteria,omitempty"`
	Action   *gmFilterAction `json:"action,omitempty"`
}

type gmFilterCrit struct {
	From           string `json:"from,omitempty"`
	To             string `json:"to,omitempty"`
	Subject        string `json:"subject,omitempty"`
	Query          string `json:"query,omitempty"`
	NegatedQuery   string `json:"negatedQuery,omitempty"`
	HasAttachment  bool   `json:"hasAttachment,omitempty"`
	ExcludeChats   bool   `json:"excludeChats,omitempty"`
	Size           int    `json:"size,omitempty"`
	SizeComparison string `json:"sizeComparison,omitempty"`
}

type gmFilterAction struct {
	AddLabelIDs    []string `json:"addLabelIds,omitempty"`
	RemoveLabelIDs []string `json:"removeLabelIds,omitempty"`
	Forward        string   `json:"forward,omitempty"`
}

// query is the search a filter's criteria amount to.
func (f *gmFilter) query() gmailQuery {
	cr := f.Criteria
	var parts []string
	group := func(op, v string) {
		if v != "" {
			parts = append(parts, op+":("+v+")")
		}
	}
	group("from", cr.From)
	group("to", cr.To)
	group("subject", cr.Subject)
	if cr.Query != "" {
		parts = append(parts, "("+cr.Query+")")
	}
	if cr.NegatedQuery != "" {
		parts = append(parts, "-("+cr.NegatedQuery+")")
	}
	if cr.HasAttachment {
		parts = append(parts, "has:attachment")
	}
	if cr.Size > 0 {
		switch cr.SizeComparison {
		case "larger":
			parts = append(parts, "larger:"+strconv.Itoa(cr.Size))
		case "smaller":
			parts = append(parts, "smaller:"+strconv.Itoa(cr.Size))
		}
	}
	return parseQuery(strings.Join(parts, " "))
}

// listFilters serves users.settings.filters.list.
func (gm *gmailService) listFilters(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	if len(mb.filters) == 0 {
		c.ok(map[string]any{})
		return
	}
	c.ok(map[string]any{"filter": mb.filters})
}

func (mb *mailbox) filter(id string) *gmFilter {
	for _, f := range mb.filters {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// getFilter serves users.settings.filters.get.
func (gm *gmailService) getFilter(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	if f := gm.box(c.email).filter(c.r.PathValue("id")); f != nil {
		c.ok(f)
		return
	}
	c.fail(gmailNotFound())
}

// createFilter serves users.settings.filters.create.
func (gm *gmailService) createFilter(c *gmailCall) {
	var f gmFilter
	if !c.decodeJSON(&f, 1<<20) {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	if msg := mb.checkFilter(&f); msg != "" {
		c.fail(gmailBadRequest(msg))
		return
	}
	c.ok(mb.addFilter(f))
}

// checkFilter returns why Gmail would refuse f, or "". Callers hold gm.mu.
func (mb *mailbox) checkFilter(f *gmFilter) string {
	cr, act := f.Criteria, f.Action
	if cr == nil || *cr == (gmFilterCrit{}) || *cr == (gmFilterCrit{ExcludeChats: cr.ExcludeChats}) {
		return "Filter doesn't have any criteria"
	}
	if act == nil || len(act.AddLabelIDs)+len(act.RemoveLabelIDs) == 0 && act.Forward == "" {
		return "Filter doesn't have any actions"
	}
	switch cr.SizeComparison {
	case "", "unspecified", "larger", "smaller":
	default:
		return fmt.Sprintf("Invalid sizeComparison %q", cr.SizeComparison)
	}
	if cr.Size < 0 || cr.Size > 0 && (cr.SizeComparison == "" || cr.SizeComparison == "unspecified") {
		return "Filter size criteria needs a size and a sizeComparison"
	}
	for _, id := range append(slices.Clone(act.AddLabelIDs), act.RemoveLabelIDs...) {
		if !mb.labelExists(id) || id == "SENT" || id == "DRAFT" {
			return "Invalid label " + id + " in the filter action"
		}
	}
	if act.Forward != "" {
		return "Forwarding address " + act.Forward + " is not verified"
	}
	for _, have := range mb.filters {
		if etag(have.Criteria) == etag(cr) && etag(have.Action) == etag(act) {
			return "Filter already exists"
		}
	}
	return ""
}

// addFilter stores a checked filter. Callers hold gm.mu.
func (mb *mailbox) addFilter(f gmFilter) *gmFilter {
	mb.filterSeq++
	f.ID = fmt.Sprintf("ANe1Bmj%06d", mb.filterSeq)
	mb.filters = append(mb.filters, &f)
	return &f
}

// deleteFilter serves users.settings.filters.delete.
func (gm *gmailService) deleteFilter(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	id := c.r.PathValue("id")
	if mb.filter(id) == nil {
		c.fail(gmailNotFound())
		return
	}
	mb.filters = slices.DeleteFunc(mb.filters, func(f *gmFilter) bool { return f.ID == id })
	c.noContent()
}

// applyFilters runs mb's filters on a message just delivered, as Gmail does on arrival.
// Callers hold gm.mu.
func (mb *mailbox) applyFilters(m *gmMessage, gm *gmailService) {
	for _, f := range mb.filters {
		if f.query().match(mb, m, gm.sb.now()) {
			mb.applyLabels(m, f.Action.AddLabelIDs, f.Action.RemoveLabelIDs)
		}
	}
}
