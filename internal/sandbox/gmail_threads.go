package sandbox

import (
	"slices"
	"sort"
	"strconv"
)

// This file holds users.threads.*. A thread's id is the id of its first message, as in
// Gmail; a thread exists while it has messages.

// threadMessages returns the messages of a thread, oldest first. Callers hold gm.mu.
func (mb *mailbox) threadMessages(threadID string) []*gmMessage {
	var out []*gmMessage
	for _, m := range mb.messages {
		if m.threadID == threadID {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].internalDate.Equal(out[j].internalDate) {
			return out[i].internalDate.Before(out[j].internalDate)
		}
		return out[i].id < out[j].id
	})
	return out
}

type gmThreadJSON struct {
	ID        string          `json:"id"`
	Snippet   string          `json:"snippet,omitempty"`
	HistoryID string          `json:"historyId,omitempty"`
	Messages  []gmMessageJSON `json:"messages,omitempty"`
}

func threadHistory(msgs []*gmMessage) string {
	var h uint64
	for _, m := range msgs {
		h = max(h, m.historyID)
	}
	return strconv.FormatUint(h, 10)
}

// listThreads serves users.threads.list: a thread is listed when one of its messages
// matches, newest activity first, with the snippet of its latest message.
func (gm *gmailService) listThreads(c *gmailCall) {
	p, ok := c.parseListParams()
	if !ok {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	var ids []string
	for _, m := range mb.matchMessages(p, gm.sb.now()) {
		if !slices.Contains(ids, m.threadID) {
			ids = append(ids, m.threadID)
		}
	}
	start, end, next, _ := paginate(len(ids), p.pageToken, p.maxResults, 100, 500)
	out := map[string]any{"resultSizeEstimate": len(ids)}
	if end > start {
		threads := make([]gmThreadJSON, 0, end-start)
		for _, id := range ids[start:end] {
			msgs := mb.threadMessages(id)
			threads = append(threads, gmThreadJSON{ID: id, Snippet: msgs[len(msgs)-1].snippet, HistoryID: threadHistory(msgs)})
		}
		out["threads"] = threads
	}
	if next != "" {
		out["nextPageToken"] = next
	}
	c.ok(out)
}

// thread finds the thread of the path's id, answering 400 or 404 itself. Callers hold gm.mu.
func (c *gmailCall) thread(mb *mailbox) []*gmMessage {
	id := c.r.PathValue("id")
	if !validID(id) {
		c.fail(gmailBadRequest("Invalid id value"))
		return nil
	}
	msgs := mb.threadMessages(id)
	if len(msgs) == 0 {
		c.fail(gmailNotFound())
	}
	return msgs
}

// getThread serves users.threads.get.
func (gm *gmailService) getThread(c *gmailCall) {
	f, ok := c.parseFormat()
	if !ok {
		return
	}
	if f.kind == "raw" {
		c.fail(gmailBadRequest("Invalid format: RAW is not supported for threads"))
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	msgs := c.thread(gm.box(c.email))
	if msgs == nil {
		return
	}
	out := gmThreadJSON{ID: msgs[0].threadID, HistoryID: threadHistory(msgs)}
	for _, m := range msgs {
		out.Messages = append(out.Messages, m.render(f))
	}
	c.ok(out)
}

// threadRefs is what threads.modify, trash and untrash return.
func threadRefs(msgs []*gmMessage) gmThreadJSON {
	out := gmThreadJSON{ID: msgs[0].threadID, HistoryID: threadHistory(msgs)}
	for _, m := range msgs {
		out.Messages = append(out.Messages, m.ref())
	}
	return out
}

// modifyThread serves users.threads.modify.
func (gm *gmailService) modifyThread(c *gmailCall) {
	var ch labelChange
	if !c.decodeJSON(&ch, 1<<20) {
		return
	}
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	msgs := c.thread(mb)
	if msgs == nil || !c.checkLabelChange(mb, ch) {
		return
	}
	for _, m := range msgs {
		mb.applyLabels(m, ch.AddLabelIDs, ch.RemoveLabelIDs)
	}
	c.ok(threadRefs(msgs))
}

// trashThread serves users.threads.trash.
func (gm *gmailService) trashThread(c *gmailCall) { gm.eachInThread(c, (*mailbox).trash) }

// untrashThread serves users.threads.untrash.
func (gm *gmailService) untrashThread(c *gmailCall) { gm.eachInThread(c, (*mailbox).untrash) }

// eachInThread applies do to every message of the call's thread and answers with the thread.
func (gm *gmailService) eachInThread(c *gmailCall, do func(*mailbox, *gmMessage)) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	if msgs := c.thread(mb); msgs != nil {
		for _, m := range msgs {
			do(mb, m)
		}
		c.ok(threadRefs(msgs))
	}
}

// deleteThread serves users.threads.delete (https://mail.google.com/ only).
func (gm *gmailService) deleteThread(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	if msgs := c.thread(mb); msgs != nil {
		for _, m := range msgs {
			mb.deleteMessage(m.id)
		}
		c.noContent()
	}
}
