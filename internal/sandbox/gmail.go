package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file holds the fake Gmail API v1: its routes at Google's paths, the mailboxes and the
// shared request plumbing. Messages live in gmail_messages.go, sending and drafts in
// gmail_send.go, threads in gmail_threads.go, labels and filters in gmail_labels.go, the
// search language in gmail_query.go, MIME parsing in gmail_mime.go and the demo mail in
// gmail_seed.go.

// Gmail scopes, as Google names them.
const (
	scopeMailFull       = "https://mail.google.com/"
	scopeGmailModify    = "https://www.googleapis.com/auth/gmail.modify"
	scopeGmailReadonly  = "https://www.googleapis.com/auth/gmail.readonly"
	scopeGmailMetadata  = "https://www.googleapis.com/auth/gmail.metadata"
	scopeGmailCompose   = "https://www.googleapis.com/auth/gmail.compose"
	scopeGmailSend      = "https://www.googleapis.com/auth/gmail.send"
	scopeGmailLabels    = "https://www.googleapis.com/auth/gmail.labels"
	scopeGmailSettingsB = "https://www.googleapis.com/auth/gmail.settings.basic"
)

// The scopes each family of methods accepts, from Google's reference pages.
var (
	gmailReadScopes    = []string{scopeMailFull, scopeGmailModify, scopeGmailReadonly, scopeGmailMetadata}
	gmailBodyScopes    = []string{scopeMailFull, scopeGmailModify, scopeGmailReadonly}
	gmailProfileScopes = []string{scopeMailFull, scopeGmailModify, scopeGmailReadonly, scopeGmailMetadata, scopeGmailCompose}
	gmailModifyScopes  = []string{scopeMailFull, scopeGmailModify}
	gmailDeleteScopes  = []string{scopeMailFull}
	gmailSendScopes    = []string{scopeMailFull, scopeGmailModify, scopeGmailCompose, scopeGmailSend}
	gmailDraftScopes   = []string{scopeMailFull, scopeGmailModify, scopeGmailCompose}
	gmailDraftRead     = []string{scopeMailFull, scopeGmailModify, scopeGmailCompose, scopeGmailReadonly}
	gmailLabelRead     = []string{scopeMailFull, scopeGmailModify, scopeGmailReadonly, scopeGmailLabels, scopeGmailMetadata}
	gmailLabelWrite    = []string{scopeMailFull, scopeGmailModify, scopeGmailLabels}
	gmailFilterRead    = []string{scopeMailFull, scopeGmailModify, scopeGmailReadonly, scopeGmailSettingsB}
	gmailFilterWrite   = []string{scopeGmailSettingsB}
)

// gmailMaxMessageSize is Gmail's limit for a message, uploaded or not.
const gmailMaxMessageSize = 35 << 20

// gmailAPIPrefix and gmailUploadPrefix are where the Gmail API is served. google-api-go
// resolves uploads to the absolute path /upload/gmail/v1/... against its endpoint.
const (
	gmailAPIPrefix    = "/gmail/v1/"
	gmailUploadPrefix = "/upload/gmail/v1/"
)

// gmailService is the fake Gmail: every mailbox, behind one lock. It is an http.Handler
// mounted at gmailAPIPrefix and gmailUploadPrefix, which is also how the Sandbox finds it
// again (see (*Sandbox).gmail).
type gmailService struct {
	sb  *Sandbox
	mux *http.ServeMux

	mu    sync.Mutex
	boxes map[string]*mailbox // by lower-case email
	seq   uint64              // makes message ids unique
}

// mailbox is one account's mail.
type mailbox struct {
	email     string
	name      string
	history   uint64
	messages  map[string]*gmMessage
	labels    map[string]*gmLabel // user labels by id
	labelSeq  int
	drafts    map[string]*gmDraft
	draftSeq  int
	filters   []*gmFilter
	filterSeq int
}

// routeGmail mounts the fake Gmail API and seeds the demo mailboxes from s.now().
func (s *Sandbox) routeGmail(mux *http.ServeMux) {
	gm := &gmailService{sb: s, mux: http.NewServeMux(), boxes: map[string]*mailbox{}}
	gm.routes()
	gm.seed(s.now())
	s.gm = gm
	mux.Handle(gmailAPIPrefix, gm)
	mux.Handle(gmailUploadPrefix, gm)
}

// gmail returns the Gmail service mounted on s, or nil when none is.
func (s *Sandbox) gmail() *gmailService { return s.gm }

func (gm *gmailService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := gm.mux.Handler(r); pattern == "" {
		gmailNotFound().Write(w)
		return
	}
	gm.mux.ServeHTTP(w, r)
}

// gmailCall is one authenticated request for one mailbox.
type gmailCall struct {
	w     http.ResponseWriter
	r     *http.Request
	grant Grant
	email string // the mailbox owner, always the caller
}

func (gm *gmailService) handle(pattern string, scopes []string, h func(c *gmailCall)) {
	gm.mux.Handle(pattern, gm.sb.api("gmail", scopes, func(w http.ResponseWriter, r *http.Request, g Grant) {
		uid := r.PathValue("userId")
		if uid != "me" && !strings.EqualFold(uid, g.Email) {
			APIError{Code: http.StatusForbidden, Reason: "forbidden", Message: "Delegation denied for " + uid}.Write(w)
			return
		}
		h(&gmailCall{w: w, r: r, grant: g, email: strings.ToLower(g.Email)})
	}))
}

func (gm *gmailService) routes() {
	const u = "/gmail/v1/users/{userId}"
	const up = "/upload/gmail/v1/users/{userId}"
	gm.handle("GET "+u+"/profile", gmailProfileScopes, gm.getProfile)

	gm.handle("GET "+u+"/messages", gmailReadScopes, gm.listMessages)
	gm.handle("GET "+u+"/messages/{id}", gmailReadScopes, gm.getMessage)
	gm.handle("DELETE "+u+"/messages/{id}", gmailDeleteScopes, gm.deleteMessage)
	gm.handle("POST "+u+"/messages/{id}/modify", gmailModifyScopes, gm.modifyMessage)
	gm.handle("POST "+u+"/messages/{id}/trash", gmailModifyScopes, gm.trashMessage)
	gm.handle("POST "+u+"/messages/{id}/untrash", gmailModifyScopes, gm.untrashMessage)
	gm.handle("POST "+u+"/messages/batchModify", gmailModifyScopes, gm.batchModify)
	gm.handle("POST "+u+"/messages/batchDelete", gmailDeleteScopes, gm.batchDelete)
	gm.handle("GET "+u+"/messages/{messageId}/attachments/{id}", gmailBodyScopes, gm.getAttachment)
	gm.handle("POST "+u+"/messages/send", gmailSendScopes, gm.sendMessage)
	gm.handle("POST "+up+"/messages/send", gmailSendScopes, gm.sendMessage)

	gm.handle("GET "+u+"/threads", gmailReadScopes, gm.listThreads)
	gm.handle("GET "+u+"/threads/{id}", gmailReadScopes, gm.getThread)
	gm.handle("POST "+u+"/threads/{id}/modify", gmailModifyScopes, gm.modifyThread)
	gm.handle("POST "+u+"/threads/{id}/trash", gmailModifyScopes, gm.trashThread)
	gm.handle("POST "+u+"/threads/{id}/untrash", gmailModifyScopes, gm.untrashThread)
	gm.handle("DELETE "+u+"/threads/{id}", gmailDeleteScopes, gm.deleteThread)

	gm.handle("GET "+u+"/drafts", gmailDraftRead, gm.listDrafts)
	gm.handle("POST "+u+"/drafts", gmailDraftScopes, gm.createDraft)
	gm.handle("POST "+up+"/drafts", gmailDraftScopes, gm.createDraft)
	gm.handle("GET "+u+"/drafts/{id}", gmailDraftRead, gm.getDraft)
	gm.handle("PUT "+u+"/drafts/{id}", gmailDraftScopes, gm.updateDraft)
	gm.handle("PUT "+up+"/drafts/{id}", gmailDraftScopes, gm.updateDraft)
	gm.handle("DELETE "+u+"/drafts/{id}", gmailDraftScopes, gm.deleteDraft)
	gm.handle("POST "+u+"/drafts/send", gmailDraftScopes, gm.sendDraft)
	gm.handle("POST "+up+"/drafts/send", gmailDraftScopes, gm.sendDraft)

	gm.handle("GET "+u+"/labels", gmailLabelRead, gm.listLabels)
	gm.handle("POST "+u+"/labels", gmailLabelWrite, gm.createLabel)
	gm.handle("GET "+u+"/labels/{id}", gmailLabelRead, gm.getLabel)
	gm.handle("PATCH "+u+"/labels/{id}", gmailLabelWrite, gm.patchLabel)
	gm.handle("PUT "+u+"/labels/{id}", gmailLabelWrite, gm.updateLabel)
	gm.handle("DELETE "+u+"/labels/{id}", gmailLabelWrite, gm.deleteLabel)

	gm.handle("GET "+u+"/settings/filters", gmailFilterRead, gm.listFilters)
	gm.handle("POST "+u+"/settings/filters", gmailFilterWrite, gm.createFilter)
	gm.handle("GET "+u+"/settings/filters/{id}", gmailFilterRead, gm.getFilter)
	gm.handle("DELETE "+u+"/settings/filters/{id}", gmailFilterWrite, gm.deleteFilter)
}

// box returns the mailbox of email, creating an empty one. Callers hold gm.mu.
func (gm *gmailService) box(email string) *mailbox {
	key := strings.ToLower(email)
	mb := gm.boxes[key]
	if mb == nil {
		mb = &mailbox{email: key, messages: map[string]*gmMessage{}, labels: map[string]*gmLabel{},
			drafts: map[string]*gmDraft{}, history: 1000}
		if a, ok := gm.sb.LookupAccount(key); ok {
			mb.name = a.Name
		}
		gm.boxes[key] = mb
	}
	return mb
}

// bump advances the mailbox's history id and returns it. Callers hold gm.mu.
func (mb *mailbox) bump() uint64 {
	mb.history++
	return mb.history
}

// newMessageID returns a Gmail-looking id: the time in milliseconds shifted left by 20
// bits plus a sequence number, as 16 hex digits. Callers hold gm.mu.
func (gm *gmailService) newMessageID(at time.Time) string {
	gm.seq++
	return fmt.Sprintf("%016x", uint64(at.UnixMilli())<<20|gm.seq&0xfffff)
}

// validID reports whether id looks like a Gmail message, thread or attachment id; Gmail
// answers 400 "Invalid id value" for those that do not.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func gmailNotFound() APIError {
	return APIError{Code: http.StatusNotFound, Reason: "notFound", Message: "Requested entity was not found."}
}

func gmailBadRequest(msg string) APIError {
	return APIError{Code: http.StatusBadRequest, Reason: "invalidArgument", Message: msg}
}

func gmailFailedPrecondition(msg string) APIError {
	return APIError{Code: http.StatusBadRequest, Reason: "failedPrecondition", Message: msg}
}

func (c *gmailCall) fail(e APIError) { e.Write(c.w) }

func (c *gmailCall) ok(v any) { writeAPIJSON(c.w, http.StatusOK, v) }

func (c *gmailCall) noContent() { c.w.WriteHeader(http.StatusNoContent) }

// metadataOnly reports whether the grant reaches messages through gmail.metadata alone,
// which allows neither bodies nor search queries.
func (c *gmailCall) metadataOnly() bool {
	return c.grant.HasScope(scopeGmailMetadata) && !slices.ContainsFunc(gmailBodyScopes, c.grant.HasScope)
}

// decodeJSON reads a JSON request body of at most limit bytes into v. An empty body
// leaves v unchanged.
func (c *gmailCall) decodeJSON(v any, limit int64) bool {
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, limit))
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			c.fail(APIError{Code: http.StatusRequestEntityTooLarge, Reason: "badRequest", Message: "Request Entity Too Large"})
		} else {
			c.fail(gmailBadRequest("Failed to read the request body."))
		}
		return false
	}
	if strings.TrimSpace(string(body)) == "" {
		return true
	}
	if err := json.Unmarshal(body, v); err != nil {
		c.fail(gmailBadRequest("Invalid JSON payload received. " + jsonProblem(err)))
		return false
	}
	return true
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("Invalid value at '%s'.", te.Field)
	}
	return "Unexpected token."
}

// listParams are the query parameters shared by the list methods.
type listParams struct {
	q                string
	labelIDs         []string
	includeSpamTrash bool
	pageToken        string
	maxResults       int
}

// parseListParams reads q, labelIds, includeSpamTrash, pageToken and maxResults; it
// answers 400 itself for a malformed value.
func (c *gmailCall) parseListParams() (listParams, bool) {
	q := c.r.URL.Query()
	p := listParams{q: q.Get("q"), labelIDs: q["labelIds"], pageToken: q.Get("pageToken")}
	if v := q.Get("includeSpamTrash"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			c.fail(gmailBadRequest(fmt.Sprintf("Invalid value for includeSpamTrash: %q", v)))
			return p, false
		}
		p.includeSpamTrash = b
	}
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.fail(gmailBadRequest(fmt.Sprintf("Invalid value for maxResults: %q", v)))
			return p, false
		}
		p.maxResults = n
	}
	if _, ok := decodePageToken(p.pageToken); !ok {
		c.fail(APIError{Code: http.StatusBadRequest, Reason: "invalidArgument", Message: "Invalid pageToken", Location: "pageToken"})
		return p, false
	}
	if p.q != "" && c.metadataOnly() {
		c.fail(APIError{Code: http.StatusForbidden, Reason: "forbidden", Message: "Metadata scope does not support 'q' parameter"})
		return p, false
	}
	return p, true
}

// readUpload reads a message sent to one of the upload paths (uploadType multipart or
// media) or, on the plain path, the JSON body. For multipart it decodes the JSON metadata
// part into meta and returns the media part; for media the whole body is the message.
// raw is nil when the request carried no media.
func (c *gmailCall) readUpload(meta any) (raw []byte, ok bool) {
	if !strings.HasPrefix(c.r.URL.Path, gmailUploadPrefix) {
		return nil, c.decodeJSON(meta, 2*gmailMaxMessageSize)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, gmailMaxMessageSize+1<<20))
	if err != nil {
		c.fail(APIError{Code: http.StatusRequestEntityTooLarge, Reason: "uploadTooLarge", Message: "Request Entity Too Large"})
		return nil, false
	}
	ctype := c.r.Header.Get("Content-Type")
	switch ut := c.r.URL.Query().Get("uploadType"); ut {
	case "media":
		if !mediaTypeOK(ctype) {
			c.fail(unsupportedMedia(ctype))
			return nil, false
		}
		return body, true
	case "multipart":
		mt, params, err := mime.ParseMediaType(ctype)
		if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
			c.fail(gmailBadRequest("Invalid multipart request with 0 mime parts."))
			return nil, false
		}
		parts := splitMultipart(body, params["boundary"])
		if len(parts) != 2 {
			c.fail(gmailBadRequest(fmt.Sprintf("Invalid multipart request with %d mime parts.", len(parts))))
			return nil, false
		}
		metaHeaders, metaBody, err := splitHeaders(parts[0])
		if err != nil {
			c.fail(gmailBadRequest("Invalid multipart request: malformed metadata part."))
			return nil, false
		}
		if mt, _, _ := mime.ParseMediaType(headerValue(metaHeaders, "Content-Type")); mt != "application/json" {
			c.fail(gmailBadRequest("The first part of a multipart upload must be application/json."))
			return nil, false
		}
		if strings.TrimSpace(string(metaBody)) != "" {
			if err := json.Unmarshal(metaBody, meta); err != nil {
				c.fail(gmailBadRequest("Invalid JSON payload received. " + jsonProblem(err)))
				return nil, false
			}
		}
		mediaHeaders, media, err := splitHeaders(parts[1])
		if err != nil {
			c.fail(gmailBadRequest("Invalid multipart request: malformed media part."))
			return nil, false
		}
		if mct := headerValue(mediaHeaders, "Content-Type"); !mediaTypeOK(mct) {
			c.fail(unsupportedMedia(mct))
			return nil, false
		}
		return media, true
	case "":
		c.fail(gmailBadRequest("Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/"))
		return nil, false
	default:
		c.fail(gmailBadRequest(fmt.Sprintf("Invalid upload type %q; the sandbox accepts media and multipart.", ut)))
		return nil, false
	}
}

// mediaTypeOK reports whether an uploaded message has a message/* media type, the only
// kind Gmail accepts.
func mediaTypeOK(ctype string) bool {
	mt, _, err := mime.ParseMediaType(ctype)
	return err == nil && strings.HasPrefix(mt, "message/")
}

func unsupportedMedia(ctype string) APIError {
	return APIError{Code: http.StatusBadRequest, Reason: "badContent",
		Message: fmt.Sprintf("Media type '%s' is not supported. Valid media types: [message/*]", ctype)}
}

// getProfile serves users.getProfile.
func (gm *gmailService) getProfile(c *gmailCall) {
	gm.mu.Lock()
	defer gm.mu.Unlock()
	mb := gm.box(c.email)
	threads := map[string]bool{}
	for _, m := range mb.messages {
		threads[m.threadID] = true
	}
	c.ok(map[string]any{
		"emailAddress":  c.grant.Email,
		"messagesTotal": len(mb.messages),
		"threadsTotal":  len(threads),
		"historyId":     strconv.FormatUint(mb.history, 10),
	})
}
