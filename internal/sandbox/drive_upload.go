package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file serves files.create and files.update, with metadata only or with media:
// uploadType=media (the bytes alone), multipart (multipart/related: JSON metadata, then the
// bytes) and resumable (an initial request answered with a session URI in Location, then the
// bytes in one or more chunks with Content-Range). google-api-go sends uploads to
// /upload/drive/v3/files (and PATCH /upload/drive/v3/files/{fileId}), resolved against its
// endpoint's host; the session URI this fake hands out is
// BASE/upload/drive/v3/files?uploadType=resumable&upload_id=..., which the client POSTs
// chunks to (PUT is accepted too). Like Google, the session URI itself authorizes the chunks.

const (
	driveMaxMetadata = 1 << 20  // JSON metadata
	driveMaxMedia    = 64 << 20 // media bytes kept in memory
	driveSessionTTL  = 7 * 24 * time.Hour
)

// driveMeta is the writable part of a File in a request body.
type driveMeta struct {
	ID                           *string   `json:"id"`
	Name                         *string   `json:"name"`
	MimeType                     *string   `json:"mimeType"`
	Description                  *string   `json:"description"`
	Parents                      *[]string `json:"parents"`
	Starred                      *bool     `json:"starred"`
	Trashed                      *bool     `json:"trashed"`
	OriginalFilename             *string   `json:"originalFilename"`
	CopyRequiresWriterPermission *bool     `json:"copyRequiresWriterPermission"`
	WritersCanShare              *bool     `json:"writersCanShare"`
}

func readDriveMeta(body io.Reader) (driveMeta, *APIError) {
	var m driveMeta
	b, err := io.ReadAll(io.LimitReader(body, driveMaxMetadata+1))
	if err != nil || len(b) > driveMaxMetadata {
		return m, driveBadRequest("badRequest", "Request body too large or unreadable.", "")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, driveBadRequest("parseError", "Parse Error", "")
	}
	return m, nil
}

// driveUpload is what a request carried: metadata and, maybe, media.
type driveUpload struct {
	meta      driveMeta
	media     []byte
	mediaType string
	hasMedia  bool
}

// readDriveWrite reads what files.create and files.update share: the fields mask, the upload
// type (media by default on the /upload/ paths) and the request body.
func readDriveWrite(r *http.Request) (driveMask, string, driveUpload, *APIError) {
	mask, e := driveFields(r.URL.Query().Get("fields"), driveDefaultFileFields, driveFileSchema)
	if e != nil {
		return nil, "", driveUpload{}, e
	}
	uploadType := r.URL.Query().Get("uploadType")
	if strings.HasPrefix(r.URL.Path, "/upload/") && uploadType == "" {
		uploadType = "media"
	}
	u, e := readDriveUpload(r, uploadType)
	return mask, uploadType, u, e
}

// writeDriveWrite answers a files.create or files.update: the error, or the resumable
// session's URI in Location, or the file through the fields mask.
func writeDriveWrite(w http.ResponseWriter, e *APIError, loc string, mask driveMask, body map[string]any) {
	if e == nil && loc != "" {
		w.Header().Set("Location", loc)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	writeDriveJSON(w, e, mask, body)
}

// writeDriveJSON answers a Drive call: its error, or body through the fields mask.
func writeDriveJSON(w http.ResponseWriter, e *APIError, mask driveMask, body map[string]any) {
	if e != nil {
		e.Write(w)
		return
	}
	writeAPIJSON(w, http.StatusOK, mask.apply(body))
}

// readDriveUpload reads the body of a create or update by its uploadType.
func readDriveUpload(r *http.Request, uploadType string) (driveUpload, *APIError) {
	var u driveUpload
	var e *APIError
	switch uploadType {
	case "", "resumable":
		u.meta, e = readDriveMeta(r.Body)
		return u, e
	case "media":
		u.media, e = readDriveMedia(r.Body)
		u.mediaType, u.hasMedia = r.Header.Get("Content-Type"), true
		return u, e
	case "multipart":
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
			return u, driveBadRequest("badContent", "Media type '"+mt+"' is not supported. Valid media types: [*/*]", "")
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		part, err := mr.NextPart()
		if err != nil {
			return u, driveBadRequest("badRequest", "Malformed multipart body.", "")
		}
		if u.meta, e = readDriveMeta(part); e != nil {
			return u, e
		}
		part, err = mr.NextPart()
		if err != nil {
			return u, driveBadRequest("badRequest", "Malformed multipart body.", "")
		}
		u.mediaType, u.hasMedia = part.Header.Get("Content-Type"), true
		u.media, e = readDriveMedia(part)
		return u, e
	}
	return u, driveInvalidValue("uploadType")
}

func readDriveMedia(r io.Reader) ([]byte, *APIError) {
	b, err := io.ReadAll(io.LimitReader(r, driveMaxMedia+1))
	if err != nil {
		return nil, driveBadRequest("badRequest", "Malformed media body.", "")
	}
	if len(b) > driveMaxMedia {
		return nil, &APIError{Code: http.StatusRequestEntityTooLarge, Reason: "uploadTooLarge",
			Message: "The upload is larger than the sandbox accepts (64 MB)."}
	}
	return b, nil
}

// driveUploadEntry serves POST /drive/v3/files and POST|PUT /upload/drive/v3/files: chunks of
// a resumable session (authorized by the session id), or a create.
func (s *Sandbox) driveUploadEntry(w http.ResponseWriter, r *http.Request) {
	if id := r.URL.Query().Get("upload_id"); id != "" && strings.HasPrefix(r.URL.Path, "/upload/") {
		s.driveChunk(w, r, id)
		return
	}
	if r.Method != http.MethodPost {
		driveBadRequest("required", "Required parameter: upload_id", "upload_id").Write(w)
		return
	}
	s.api("drive", driveWriteScopes, func(w http.ResponseWriter, r *http.Request, g Grant) {
		s.driveCreate(w, r, s.driveCallerFor(g))
	})(w, r)
}

func (s *Sandbox) driveCreate(w http.ResponseWriter, r *http.Request, c driveCaller) {
	mask, uploadType, u, e := readDriveWrite(r)
	if e != nil {
		e.Write(w)
		return
	}
	d := s.drive()
	d.mu.Lock()
	var body map[string]any
	var loc string
	f, e := d.prepareCreate(u.meta, c, r)
	if e == nil {
		switch {
		case uploadType == "resumable":
			loc, e = d.startSession(s.driveIssuerOf(r), &driveUploadSession{caller: c, meta: u.meta, mask: mask,
				mediaType: r.Header.Get("X-Upload-Content-Type"), supportsAll: driveSupportsAll(r)})
		default:
			if e = d.fill(f, u); e == nil {
				d.files[f.id] = f
				body = d.fileJSON(f, c, d.role(f, c))
			}
		}
	}
	d.mu.Unlock()
	writeDriveWrite(w, e, loc, mask, body)
}

// issuerOf returns the sandbox's base URL for building absolute session URIs.
func (s *Sandbox) driveIssuerOf(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuerFor(r)
}

// isUploadID reports whether a client-chosen file id is acceptable (10 to 128 of
// [A-Za-z0-9_-]).
func isUploadID(s string) bool {
	if len(s) < 10 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// prepareCreate checks a create's metadata and builds the file, not yet stored. Callers hold d.mu.
func (d *driveState) prepareCreate(m driveMeta, c driveCaller, r *http.Request) (*driveFile, *APIError) {
	now := d.now().UTC().Truncate(time.Millisecond)
	f := &driveFile{name: "Untitled", owner: c.email, creator: c.email, lastModifier: c.email,
		created: now, modified: now, version: 1, writersCanShare: true, apps: map[string]bool{c.clientID: true}}
	if m.ID != nil {
		if !isUploadID(*m.ID) || d.files[*m.ID] != nil {
			return nil, driveBadRequest("invalid", "The provided file ID is not usable.", "file.id")
		}
		f.id = *m.ID
	} else {
		f.id = d.newID()
	}
	if m.Name != nil {
		if len(*m.Name) > 32767 {
			return nil, driveBadRequest("invalid", "The name is too long.", "file.name")
		}
		f.name = *m.Name
	}
	if m.MimeType != nil {
		f.mimeType = *m.MimeType
	}
	if m.Description != nil {
		f.description = *m.Description
	}
	if m.OriginalFilename != nil {
		f.originalFilename = *m.OriginalFilename
	}
	if m.CopyRequiresWriterPermission != nil {
		f.copyRequiresWriter = *m.CopyRequiresWriterPermission
	}
	if m.WritersCanShare != nil {
		f.writersCanShare = *m.WritersCanShare
	}
	if m.Starred != nil && *m.Starred {
		f.starredBy = map[string]bool{c.email: true}
	}
	parent := d.rootFor(c.email, c.name)
	if m.Parents != nil && len(*m.Parents) > 0 {
		if len(*m.Parents) > 1 {
			return nil, driveForbidden("cannotAddParent", "Increasing the number of parents is not allowed.")
		}
		p, role, e := d.lookup((*m.Parents)[0], c, r)
		if e != nil {
			return nil, e
		}
		if p.mimeType != MimeFolder {
			return nil, driveBadRequest("invalid", "The specified parent is not a folder.", "parents")
		}
		if !driveAtLeast(role, "writer") {
			return nil, driveInsufficientFilePermissions()
		}
		parent = p
	}
	f.parents = []string{parent.id}
	if parent.driveID != "" {
		f.driveID, f.owner = parent.driveID, ""
	} else {
		f.perms = []*drivePerm{d.userPerm(c.email, "owner", now, "")}
	}
	return f, nil
}

// fill sets a new file's type and content from what was uploaded. Callers hold d.mu.
func (d *driveState) fill(f *driveFile, u driveUpload) *APIError {
	mediaType, _, _ := strings.Cut(u.mediaType, ";")
	mediaType = strings.TrimSpace(mediaType)
	if f.mimeType == "" {
		f.mimeType = "application/octet-stream"
		if u.hasMedia && mediaType != "" {
			f.mimeType = mediaType
		}
	}
	if !u.hasMedia {
		return nil
	}
	switch {
	case f.mimeType == MimeFolder:
		return driveBadRequest("badRequest", "A folder cannot have content.", "")
	case driveIsNative(f.mimeType):
		if !f.importContent(u.media, mediaType) {
			return driveBadRequest("badRequest", "The requested conversion is not supported.", "convertTo")
		}
	default:
		f.content = u.media
	}
	return nil
}

// driveUploadSession is a resumable upload in progress.
type driveUploadSession struct {
	caller      driveCaller
	meta        driveMeta
	mask        driveMask
	mediaType   string
	fileID      string // set for an update
	supportsAll bool
	addParents  string
	rmParents   string
	received    []byte
	expires     time.Time
}

// startSession stores a session and returns its URI. Callers hold d.mu.
func (d *driveState) startSession(base string, sess *driveUploadSession) (string, *APIError) {
	var b [32]byte
	if _, err := io.ReadFull(d.rand, b[:]); err != nil {
		return "", &APIError{Code: http.StatusInternalServerError, Reason: "backendError", Message: "Backend Error"}
	}
	now := d.now()
	for id, old := range d.uploads { // drop expired sessions
		if now.After(old.expires) {
			delete(d.uploads, id)
		}
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	sess.expires = now.Add(driveSessionTTL)
	d.uploads[id] = sess
	return base + "/upload/drive/v3/files?uploadType=resumable&upload_id=" + id, nil
}

var errDriveRange = errors.New("bad Content-Range")

// parseContentRange reads "bytes a-b/total", "bytes a-b/*", "bytes */total" or "bytes */*";
// start is -1 for a status query without bytes, total -1 when unknown.
func driveParseContentRange(h string) (start, end, total int64, err error) {
	start, end, total = -1, -1, -1
	if h == "" {
		return start, end, total, nil
	}
	spec, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, 0, 0, errDriveRange
	}
	rng, tot, ok := strings.Cut(spec, "/")
	if !ok {
		return 0, 0, 0, errDriveRange
	}
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total < 0 {
			return 0, 0, 0, errDriveRange
		}
	}
	if rng == "*" {
		return -1, -1, total, nil
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, 0, errDriveRange
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, 0, 0, errDriveRange
	}
	if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start || start < 0 {
		return 0, 0, 0, errDriveRange
	}
	return start, end, total, nil
}

// driveChunk takes one chunk of a resumable session; the last one creates or updates the file.
func (s *Sandbox) driveChunk(w http.ResponseWriter, r *http.Request, id string) {
	if f, ok := s.nextAPIFailure("drive"); ok {
		defaultAPIFailure(f).Write(w)
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	start, end, total, err := driveParseContentRange(r.Header.Get("Content-Range"))
	if err != nil {
		driveBadRequest("badRequest", "Invalid Content-Range header.", "Content-Range").Write(w)
		return
	}
	chunk, e := readDriveMedia(r.Body)
	if e != nil {
		e.Write(w)
		return
	}
	if start < 0 && total < 0 && len(chunk) > 0 && r.Header.Get("Content-Range") == "" {
		start, end, total = 0, int64(len(chunk))-1, int64(len(chunk)) // the whole file at once
	}
	d := s.drive()
	d.mu.Lock()
	sess := d.uploads[id]
	if sess == nil || d.now().After(sess.expires) {
		delete(d.uploads, id)
		d.mu.Unlock()
		(&APIError{Code: http.StatusNotFound, Reason: "notFound", Message: "The upload session was not found or has expired."}).Write(w)
		return
	}
	if start >= 0 {
		if start != int64(len(sess.received)) || end-start+1 != int64(len(chunk)) {
			n := len(sess.received)
			d.mu.Unlock()
			driveResumeIncomplete(w, r, n)
			return
		}
		if int64(len(sess.received))+int64(len(chunk)) > driveMaxMedia {
			delete(d.uploads, id)
			d.mu.Unlock()
			(&APIError{Code: http.StatusRequestEntityTooLarge, Reason: "uploadTooLarge",
				Message: "The upload is larger than the sandbox accepts (64 MB)."}).Write(w)
			return
		}
		sess.received = append(sess.received, chunk...)
	}
	if total < 0 || int64(len(sess.received)) < total {
		n := len(sess.received)
		d.mu.Unlock()
		driveResumeIncomplete(w, r, n)
		return
	}
	delete(d.uploads, id)
	body, e := d.finishSession(sess, r)
	d.mu.Unlock()
	if e != nil {
		e.Write(w)
		return
	}
	writeAPIJSON(w, http.StatusOK, sess.mask.apply(body))
}

// driveResumeIncomplete answers Google's "308 Resume Incomplete", or 200 with
// X-HTTP-Status-Code-Override: 308 when the client asked with X-GUploader-No-308.
func driveResumeIncomplete(w http.ResponseWriter, r *http.Request, n int) {
	if n > 0 {
		w.Header().Set("Range", "bytes=0-"+strconv.Itoa(n-1))
	}
	w.Header().Set("Content-Length", "0")
	if strings.EqualFold(r.Header.Get("X-GUploader-No-308"), "yes") {
		w.Header().Set("X-HTTP-Status-Code-Override", "308")
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusPermanentRedirect)
}

// finishSession creates or updates the file of a completed session. Callers hold d.mu.
func (d *driveState) finishSession(sess *driveUploadSession, r *http.Request) (map[string]any, *APIError) {
	u := driveUpload{meta: sess.meta, media: sess.received, mediaType: sess.mediaType, hasMedia: true}
	req := r.Clone(r.Context())
	q := req.URL.Query()
	if sess.supportsAll {
		q.Set("supportsAllDrives", "true")
	}
	q.Set("addParents", sess.addParents)
	q.Set("removeParents", sess.rmParents)
	req.URL.RawQuery = q.Encode()
	if sess.fileID != "" {
		return d.update(sess.fileID, u, sess.caller, req)
	}
	f, e := d.prepareCreate(sess.meta, sess.caller, req)
	if e != nil {
		return nil, e
	}
	if u.mediaType == "" {
		u.mediaType = "application/octet-stream"
	}
	if e := d.fill(f, u); e != nil {
		return nil, e
	}
	d.files[f.id] = f
	return d.fileJSON(f, sess.caller, d.role(f, sess.caller)), nil
}

// driveUpdate serves files.update: PATCH /drive/v3/files/{fileId} (metadata) and
// PATCH /upload/drive/v3/files/{fileId} (with media).
func (s *Sandbox) driveUpdate(w http.ResponseWriter, r *http.Request, c driveCaller) {
	mask, uploadType, u, e := readDriveWrite(r)
	if e != nil {
		e.Write(w)
		return
	}
	d := s.drive()
	d.mu.Lock()
	var body map[string]any
	var loc string
	if uploadType == "resumable" {
		// Check now what can be checked, then wait for the bytes.
		f, role, le := d.lookup(r.PathValue("fileId"), c, r)
		switch {
		case le != nil:
			e = le
		case !driveAtLeast(role, "writer") || !d.writable(f, c):
			e = driveInsufficientFilePermissions()
		default:
			loc, e = d.startSession(s.driveIssuerOf(r), &driveUploadSession{caller: c, meta: u.meta, mask: mask, fileID: f.id,
				mediaType: r.Header.Get("X-Upload-Content-Type"), supportsAll: driveSupportsAll(r),
				addParents: r.URL.Query().Get("addParents"), rmParents: r.URL.Query().Get("removeParents")})
		}
	} else {
		body, e = d.update(r.PathValue("fileId"), u, c, r)
	}
	d.mu.Unlock()
	writeDriveWrite(w, e, loc, mask, body)
}

// update applies a files.update. Callers hold d.mu.
func (d *driveState) update(id string, u driveUpload, c driveCaller, r *http.Request) (map[string]any, *APIError) {
	f, role, e := d.lookup(id, c, r)
	if e != nil {
		return nil, e
	}
	if f.isRoot {
		return nil, driveInsufficientFilePermissions()
	}
	m := u.meta
	q := r.URL.Query()
	if m.Parents != nil {
		return nil, driveForbidden("fieldNotWritable", "The parents field is not directly writable in update requests. Use the addParents and removeParents parameters instead.")
	}
	if m.ID != nil && *m.ID != f.id {
		return nil, driveForbidden("fieldNotWritable", "The resource body includes fields which are not directly writable.")
	}
	changesMeta := m.Name != nil || m.Description != nil || m.MimeType != nil || m.OriginalFilename != nil ||
		m.CopyRequiresWriterPermission != nil || m.WritersCanShare != nil
	moves := q.Get("addParents") != "" || q.Get("removeParents") != ""
	caps := d.capabilities(f, role)
	if (changesMeta || moves || u.hasMedia) && (!caps["canEdit"] || !d.writableMeta(f, c)) {
		return nil, driveInsufficientFilePermissions()
	}
	if u.hasMedia && !c.writesAll() && !c.has(driveScopeFile) && !c.has(driveScopeAppdata) {
		// drive.metadata changes metadata only; content needs drive or drive.file.
		return nil, &APIError{Code: http.StatusForbidden, Reason: "insufficientPermissions", Message: msgInsufficientScopes}
	}
	if u.hasMedia && !d.writable(f, c) {
		return nil, driveInsufficientFilePermissions()
	}
	if m.Trashed != nil && *m.Trashed != f.trashed && (!caps["canTrash"] || !d.writableMeta(f, c)) {
		return nil, driveInsufficientFilePermissions()
	}
	if m.MimeType != nil && *m.MimeType != f.mimeType && (driveIsNative(f.mimeType) || driveIsNative(*m.MimeType)) {
		return nil, driveForbidden("fieldNotWritable", "The mimeType of a Google Docs Editors file or folder cannot be changed.")
	}
	if moves {
		if e := d.move(f, q.Get("addParents"), q.Get("removeParents"), c, r); e != nil {
			return nil, e
		}
	}
	if u.hasMedia {
		if f.mimeType == MimeFolder {
			return nil, driveBadRequest("badRequest", "A folder cannot have content.", "")
		}
		if driveIsNative(f.mimeType) {
			mt, _, _ := strings.Cut(u.mediaType, ";")
			if !f.importContent(u.media, strings.TrimSpace(mt)) {
				return nil, driveBadRequest("badRequest", "The requested conversion is not supported.", "convertTo")
			}
		} else {
			f.content = u.media
		}
	}
	if m.Name != nil {
		f.name = *m.Name
	}
	if m.Description != nil {
		f.description = *m.Description
	}
	if m.MimeType != nil {
		f.mimeType = *m.MimeType
	}
	if m.OriginalFilename != nil {
		f.originalFilename = *m.OriginalFilename
	}
	if m.CopyRequiresWriterPermission != nil {
		f.copyRequiresWriter = *m.CopyRequiresWriterPermission
	}
	if m.WritersCanShare != nil {
		f.writersCanShare = *m.WritersCanShare
	}
	if m.Starred != nil {
		if f.starredBy == nil {
			f.starredBy = map[string]bool{}
		}
		f.starredBy[c.email] = *m.Starred
	}
	if m.Trashed != nil && *m.Trashed != f.trashed {
		d.setTrashed(f, *m.Trashed, c.email)
	}
	d.touch(f, c.email, changesMeta || moves || u.hasMedia)
	return d.fileJSON(f, c, d.role(f, c)), nil
}

// writableMeta is writable, widened by drive.metadata (metadata changes only).
func (d *driveState) writableMeta(f *driveFile, c driveCaller) bool {
	return d.writable(f, c) || c.has(driveScopeMetadata)
}

// setTrashed trashes or restores f; a folder's items follow it implicitly.
func (d *driveState) setTrashed(f *driveFile, trashed bool, who string) {
	now := d.now().UTC().Truncate(time.Millisecond)
	f.trashed, f.explicitlyTrashed = trashed, trashed
	f.trashedTime, f.trashingUser = now, who
	if f.mimeType != MimeFolder {
		return
	}
	for _, x := range d.descendants(f) {
		if trashed && !x.trashed {
			x.trashed, x.trashedTime, x.trashingUser = true, now, who
		} else if !trashed && x.trashed && !x.explicitlyTrashed {
			x.trashed = false
		}
	}
}

// move applies addParents/removeParents. Items keep a single parent, like Google. Callers hold d.mu.
func (d *driveState) move(f *driveFile, add, remove string, c driveCaller, r *http.Request) *APIError {
	parents := slices.Clone(f.parents)
	for id := range strings.SplitSeq(remove, ",") {
		if id = strings.TrimSpace(id); id != "" {
			id = d.resolveID(id, c)
			parents = slices.DeleteFunc(parents, func(p string) bool { return p == id })
		}
	}
	var target *driveFile
	for id := range strings.SplitSeq(add, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		p, role, e := d.lookup(id, c, r)
		if e != nil {
			return e
		}
		if p.mimeType != MimeFolder {
			return driveBadRequest("invalid", "The specified parent is not a folder.", "addParents")
		}
		if !driveAtLeast(role, "writer") {
			return driveInsufficientFilePermissions()
		}
		if p.id == f.id || slices.ContainsFunc(d.ancestors(p), func(a *driveFile) bool { return a.id == f.id }) {
			return driveBadRequest("invalid", "The specified parent would create a cycle.", "addParents")
		}
		if !slices.Contains(parents, p.id) {
			parents = append(parents, p.id)
		}
		target = p
	}
	if len(parents) > 1 {
		return driveForbidden("cannotAddParent", "Increasing the number of parents is not allowed.")
	}
	if target != nil && target.driveID != f.driveID {
		if f.driveID != "" {
			return driveForbidden("cannotMoveTeamDriveItem", "Moving items out of a shared drive is not supported by the sandbox.")
		}
		if f.owner != c.email {
			return driveInsufficientFilePermissions()
		}
		for _, x := range append(d.descendants(f), f) { // into a shared drive: the drive owns it now
			x.driveID, x.owner = target.driveID, ""
			x.perms = slices.DeleteFunc(x.perms, func(p *drivePerm) bool { return p.role == "owner" })
		}
	}
	f.parents = parents
	return nil
}
