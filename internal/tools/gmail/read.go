package gmail

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/sync/errgroup"
	gmailapi "google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// This file holds the read tools: search, one message, a batch of messages, a thread.

// fetchConcurrency bounds the parallel message reads of one tool call.
const fetchConcurrency = 8

// maxBatch is the most message ids one batch read takes, as Gmail's batch API.
const maxBatch = 100

var summaryHeaders = []string{"Subject", "From", "Date"}

// SearchInput is the input of search_gmail_messages.
type SearchInput struct {
	tools.AccountParam
	Query     string `json:"query" jsonschema:"Gmail search query with the usual operators, e.g. 'from:bob@example.com is:unread newer_than:7d', 'subject:invoice has:attachment', 'in:sent'. An empty query lists the most recent mail."`
	PageSize  int    `json:"page_size,omitempty" jsonschema:"How many messages to return, 1 to 100 (default 10)."`
	PageToken string `json:"page_token,omitempty" jsonschema:"The next_page_token of a previous search, to get the next page of the same query."`
}

// MessageSummary is one search hit.
type MessageSummary struct {
	ID         string   `json:"id"`
	ThreadID   string   `json:"thread_id"`
	Snippet    string   `json:"snippet,omitempty"`
	Subject    string   `json:"subject,omitempty"`
	Sender     string   `json:"sender,omitempty"`
	Date       string   `json:"date,omitempty"`
	Labels     []string `json:"labels,omitempty" jsonschema:"Label ids (INBOX, UNREAD, Label_3, ...)."`
	LabelNames []string `json:"label_names,omitempty"`
	WebURL     string   `json:"web_url"`
}

// SearchOutput is the result of search_gmail_messages.
type SearchOutput struct {
	Messages           []MessageSummary `json:"messages,omitempty"`
	TotalFound         int              `json:"total_found" jsonschema:"How many messages this page holds."`
	ResultSizeEstimate int64            `json:"result_size_estimate" jsonschema:"Gmail's estimate of all matches."`
	Query              string           `json:"query"`
	PageSize           int              `json:"page_size"`
	NextPageToken      string           `json:"next_page_token,omitempty" jsonschema:"Pass as page_token for more results; absent on the last page."`
}

// MessageInput names one message.
type MessageInput struct {
	tools.AccountParam
	MessageID string `json:"message_id" jsonschema:"The Gmail message id (from search_gmail_messages)."`
}

// MessageContent is a message's content.
type MessageContent struct {
	ID          string       `json:"id"`
	ThreadID    string       `json:"thread_id"`
	Subject     string       `json:"subject"`
	Sender      string       `json:"sender"`
	To          string       `json:"to,omitempty"`
	Cc          string       `json:"cc,omitempty"`
	Date        string       `json:"date,omitempty"`
	Labels      []string     `json:"labels,omitempty"`
	Body        string       `json:"body" jsonschema:"The plain-text body (the HTML body rendered as text when there is no plain one)."`
	Attachments []Attachment `json:"attachments,omitempty"`
	WebURL      string       `json:"web_url"`
}

// BatchInput is the input of get_gmail_messages_content_batch.
type BatchInput struct {
	tools.AccountParam
	MessageIDs []string `json:"message_ids" jsonschema:"The message ids to read, at most 100."`
	Format     string   `json:"format,omitempty" enum:"full,metadata" jsonschema:"'full' (default) includes the body; 'metadata' only subject, sender and date."`
}

// BatchMessage is one message of a batch read: its content, or why it could not be read.
type BatchMessage struct {
	ID       string `json:"id"`
	Success  bool   `json:"success"`
	ThreadID string `json:"thread_id,omitempty"`
	Subject  string `json:"subject,omitempty"`
	Sender   string `json:"sender,omitempty"`
	Date     string `json:"date,omitempty"`
	Body     string `json:"body,omitempty"`
	WebURL   string `json:"web_url,omitempty"`
	Error    string `json:"error,omitempty"`
}

// BatchOutput is the result of get_gmail_messages_content_batch.
type BatchOutput struct {
	Messages        []BatchMessage `json:"messages,omitempty"`
	TotalRequested  int            `json:"total_requested"`
	SuccessfulCount int            `json:"successful_count"`
	FailedCount     int            `json:"failed_count"`
	Format          string         `json:"format"`
}

// ThreadInput names one thread.
type ThreadInput struct {
	tools.AccountParam
	ThreadID string `json:"thread_id" jsonschema:"The Gmail thread id (thread_id of a search hit or message)."`
}

// ThreadMessage is one message of a thread.
type ThreadMessage struct {
	MessageNumber int          `json:"message_number" jsonschema:"Position in the conversation, oldest first, from 1."`
	ID            string       `json:"id"`
	Subject       string       `json:"subject"`
	Sender        string       `json:"sender"`
	To            string       `json:"to,omitempty"`
	Date          string       `json:"date,omitempty"`
	Body          string       `json:"body"`
	Attachments   []Attachment `json:"attachments,omitempty"`
}

// ThreadOutput is a whole conversation.
type ThreadOutput struct {
	ThreadID      string          `json:"thread_id"`
	ThreadSubject string          `json:"thread_subject"`
	MessageCount  int             `json:"message_count"`
	Messages      []ThreadMessage `json:"messages,omitempty"`
}

func (k *kit) registerRead(r *tools.Registry) {
	read := tools.Spec{Scopes: []string{ScopeReadonly}, Tier: tools.Core}
	add(r, k.d, &mcp.Tool{Name: "search_gmail_messages", Annotations: readOnly("Search Gmail"),
		Description: "Search the user's Gmail with Gmail's search operators (from:, to:, subject:, is:unread, has:attachment, " +
			"label:, in:sent, newer_than:7d, before:2024/01/31, ...). Returns message ids and thread ids with subject, sender, " +
			"date, snippet and labels, newest first, and a next_page_token when there are more. Use get_gmail_message_content " +
			"or get_gmail_messages_content_batch to read the bodies."},
		read, map[string]any{"page_size": 10}, k.search)
	add(r, k.d, &mcp.Tool{Name: "get_gmail_message_content", Annotations: readOnly("Read a Gmail message"),
		Description: "Read one Gmail message: subject, sender, recipients, date, labels, the plain-text body and the list of " +
			"attachments (download them with download_gmail_attachment)."},
		read, nil, k.getMessage)
	add(r, k.d, &mcp.Tool{Name: "get_gmail_messages_content_batch", Annotations: readOnly("Read several Gmail messages"),
		Description: "Read up to 100 Gmail messages in one call, by id. Each message comes back with success true and its " +
			"subject, sender, date and (format 'full') body, or success false and the reason (for example an unknown id); " +
			"one bad id does not fail the others."},
		read, map[string]any{"format": "full"}, k.getBatch)
	thread := read
	thread.Tier = tools.Extended
	add(r, k.d, &mcp.Tool{Name: "get_gmail_thread_content", Annotations: readOnly("Read a Gmail conversation"),
		Description: "Read a whole Gmail conversation (thread), oldest message first, with each message's sender, date and " +
			"plain-text body."},
		thread, nil, k.getThread)
}

func (k *kit) search(ctx context.Context, c tools.Call, in SearchInput) (SearchOutput, error) {
	size := in.PageSize
	switch {
	case size == 0:
		size = 10
	case size < 1 || size > 100:
		return SearchOutput{}, tools.Errorf("page_size must be between 1 and 100.")
	}
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return SearchOutput{}, err
	}
	call := svc.Users.Messages.List("me").Q(in.Query).MaxResults(int64(size)).Context(ctx)
	if in.PageToken != "" {
		call = call.PageToken(in.PageToken)
	}
	list, err := call.Do()
	if err != nil {
		return SearchOutput{}, err
	}
	out := SearchOutput{Query: in.Query, PageSize: size, NextPageToken: list.NextPageToken,
		ResultSizeEstimate: list.ResultSizeEstimate, Messages: make([]MessageSummary, len(list.Messages))}
	names := k.labelNames(ctx, svc)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fetchConcurrency)
	for i, ref := range list.Messages {
		g.Go(func() error {
			m, err := svc.Users.Messages.Get("me", ref.Id).Format("metadata").MetadataHeaders(summaryHeaders...).
				Fields("id", "threadId", "labelIds", "snippet", "payload/headers").Context(gctx).Do()
			s := MessageSummary{ID: ref.Id, ThreadID: ref.ThreadId, WebURL: webURL(c.Account, ref.Id)}
			if err != nil {
				if isNotFound(err) { // deleted between list and get: keep the bare reference
					out.Messages[i] = s
					return nil
				}
				return err
			}
			s.Snippet, s.Labels = m.Snippet, m.LabelIds
			s.Subject, s.Sender, s.Date = header(m.Payload, "Subject"), header(m.Payload, "From"), header(m.Payload, "Date")
			for _, id := range m.LabelIds {
				s.LabelNames = append(s.LabelNames, cmp.Or(names[id], id))
			}
			out.Messages[i] = s
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return SearchOutput{}, err
	}
	out.TotalFound = len(out.Messages)
	return out, nil
}

// labelNames maps label ids to names; a failure leaves the ids as they are.
func (k *kit) labelNames(ctx context.Context, svc *gmailapi.Service) map[string]string {
	names := map[string]string{}
	ls, err := svc.Users.Labels.List("me").Fields("labels/id", "labels/name").Context(ctx).Do()
	if err != nil {
		return names
	}
	for _, l := range ls.Labels {
		names[l.Id] = l.Name
	}
	return names
}

func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

func (k *kit) getMessage(ctx context.Context, c tools.Call, in MessageInput) (MessageContent, error) {
	if strings.TrimSpace(in.MessageID) == "" {
		return MessageContent{}, tools.Errorf("message_id is required: pass the id of a message from search_gmail_messages.")
	}
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return MessageContent{}, err
	}
	m, err := svc.Users.Messages.Get("me", in.MessageID).Format("full").Context(ctx).Do()
	if err != nil {
		return MessageContent{}, err
	}
	return MessageContent{ID: m.Id, ThreadID: m.ThreadId, Subject: cmp.Or(header(m.Payload, "Subject"), "(no subject)"),
		Sender: cmp.Or(header(m.Payload, "From"), "(unknown sender)"), To: header(m.Payload, "To"), Cc: header(m.Payload, "Cc"),
		Date: header(m.Payload, "Date"), Labels: m.LabelIds, Body: cmp.Or(plainBody(m.Payload), "[No text body found]"),
		Attachments: attachmentsOf(m.Payload), WebURL: webURL(c.Account, m.Id)}, nil
}

func (k *kit) getBatch(ctx context.Context, c tools.Call, in BatchInput) (BatchOutput, error) {
	format := cmp.Or(in.Format, "full")
	if format != "full" && format != "metadata" {
		return BatchOutput{}, tools.Errorf("format must be 'full' or 'metadata'.")
	}
	switch {
	case len(in.MessageIDs) == 0:
		return BatchOutput{}, tools.Errorf("message_ids is empty: pass between 1 and 100 message ids.")
	case len(in.MessageIDs) > maxBatch:
		return BatchOutput{}, tools.Errorf("message_ids holds more than 100 ids: split the list into calls of at most 100.")
	}
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return BatchOutput{}, err
	}
	out := BatchOutput{TotalRequested: len(in.MessageIDs), Format: format, Messages: make([]BatchMessage, len(in.MessageIDs))}
	errs := make([]error, len(in.MessageIDs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fetchConcurrency)
	for i, id := range in.MessageIDs {
		g.Go(func() error {
			out.Messages[i], errs[i] = k.batchOne(gctx, svc, c.Account, strings.TrimSpace(id), format)
			return nil
		})
	}
	_ = g.Wait()
	var systemic error
	for i, err := range errs {
		if err == nil {
			out.SuccessfulCount++
			continue
		}
		out.FailedCount++
		if !isPerMessage(err) && systemic == nil {
			systemic = err
		}
		out.Messages[i].Error = workspace.Describe(err)
		if te := (*tools.ToolError)(nil); errors.As(err, &te) {
			out.Messages[i].Error = te.Message
		}
	}
	// When nothing could be read for a reason that is not the ids' (quota, a revoked
	// grant), the call itself failed: say so instead of repeating it for every id.
	if out.SuccessfulCount == 0 && systemic != nil {
		return BatchOutput{}, systemic
	}
	return out, nil
}

// isPerMessage reports whether a read failed because of the message (unknown or invalid id)
// rather than the account or Google.
func isPerMessage(err error) bool {
	var ge *googleapi.Error
	var te *tools.ToolError
	return errors.As(err, &te) || errors.As(err, &ge) && (ge.Code == http.StatusNotFound || ge.Code == http.StatusBadRequest)
}

func (k *kit) batchOne(ctx context.Context, svc *gmailapi.Service, account, id, format string) (BatchMessage, error) {
	res := BatchMessage{ID: id}
	if id == "" {
		return res, tools.Errorf("empty message id")
	}
	res.WebURL = webURL(account, id)
	call := svc.Users.Messages.Get("me", id).Format(format).Context(ctx)
	if format == "metadata" {
		call = call.MetadataHeaders(summaryHeaders...)
	}
	m, err := call.Do()
	if err != nil {
		return res, err
	}
	res.Success, res.ThreadID = true, m.ThreadId
	res.Subject = cmp.Or(header(m.Payload, "Subject"), "(no subject)")
	res.Sender = cmp.Or(header(m.Payload, "From"), "(unknown sender)")
	res.Date = header(m.Payload, "Date")
	if format == "full" {
		res.Body = cmp.Or(plainBody(m.Payload), "[No text body found]")
	}
	return res, nil
}

func (k *kit) getThread(ctx context.Context, c tools.Call, in ThreadInput) (ThreadOutput, error) {
	if strings.TrimSpace(in.ThreadID) == "" {
		return ThreadOutput{}, tools.Errorf("thread_id is required: pass the thread_id of a message.")
	}
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return ThreadOutput{}, err
	}
	t, err := svc.Users.Threads.Get("me", in.ThreadID).Format("full").Context(ctx).Do()
	if err != nil {
		return ThreadOutput{}, err
	}
	out := ThreadOutput{ThreadID: t.Id, MessageCount: len(t.Messages), ThreadSubject: "(no subject)"}
	for i, m := range t.Messages {
		if i == 0 {
			out.ThreadSubject = cmp.Or(header(m.Payload, "Subject"), out.ThreadSubject)
		}
		out.Messages = append(out.Messages, ThreadMessage{MessageNumber: i + 1, ID: m.Id,
			Subject: cmp.Or(header(m.Payload, "Subject"), out.ThreadSubject), Sender: cmp.Or(header(m.Payload, "From"), "(unknown sender)"),
			To: header(m.Payload, "To"), Date: header(m.Payload, "Date"), Body: cmp.Or(plainBody(m.Payload), "[No text body found]"),
			Attachments: attachmentsOf(m.Payload)})
	}
	return out, nil
}
