package sandbox

import (
	"bytes"
	"cmp"
	"crypto/md5" //nolint:gosec // an ETag for media, not security
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file serves files.list, files.get (metadata and alt=media), files.export, files.delete,
// files.emptyTrash and files.copy. files.create and files.update are in drive_upload.go.

const driveListDefaultFields = "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)"

// driveListParams are files.list's parameters once checked.
type driveListParams struct {
	query          driveQuery
	corpora        string
	driveID        string
	includeShared  bool // includeItemsFromAllDrives and supportsAllDrives
	includeFlag    bool
	orderBy        []driveOrderKey
	pageSize       int
	pageToken      string
	mask           driveMask
	spaceDriveOnly bool // spaces did not include "drive": nothing to list
}

type driveOrderKey struct {
	key  string
	desc bool
}

var driveOrderKeys = []string{"createdTime", "folder", "modifiedByMeTime", "modifiedTime", "name", "name_natural",
	"quotaBytesUsed", "recency", "sharedWithMeTime", "starred", "viewedByMeTime"}

func parseDriveOrderBy(s string) ([]driveOrderKey, bool) {
	if strings.TrimSpace(s) == "" {
		return []driveOrderKey{{key: "modifiedTime", desc: true}}, true
	}
	var keys []driveOrderKey
	for part := range strings.SplitSeq(s, ",") {
		f := strings.Fields(part)
		if len(f) == 0 || len(f) > 2 || !slices.Contains(driveOrderKeys, f[0]) {
			return nil, false
		}
		k := driveOrderKey{key: f[0]}
		if len(f) == 2 {
			switch strings.ToLower(f[1]) {
			case "desc":
				k.desc = true
			case "asc":
			default:
				return nil, false
			}
		}
		keys = append(keys, k)
	}
	return keys, true
}

func parseDriveListParams(r *http.Request) (driveListParams, *APIError) {
	q := r.URL.Query()
	var p driveListParams
	var e *APIError
	if p.mask, e = driveFields(q.Get("fields"), driveListDefaultFields, driveFileListSchema); e != nil {
		return p, e
	}
	include, e := driveBoolParam(r, "includeItemsFromAllDrives")
	if e != nil {
		return p, e
	}
	legacyInclude, _ := driveBoolParam(r, "includeTeamDriveItems")
	supports := driveSupportsAll(r)
	p.includeFlag = include || legacyInclude
	p.includeShared = p.includeFlag && supports
	p.driveID = cmp.Or(q.Get("driveId"), q.Get("teamDriveId"))
	p.corpora = q.Get("corpora")
	switch p.corpora {
	case "":
		p.corpora = "user"
	case "user", "domain", "drive", "allDrives":
	default:
		return p, driveInvalidValue("corpora")
	}
	if (p.driveID != "") != (p.corpora == "drive") {
		return p, &APIError{Code: http.StatusBadRequest, Reason: "teamDriveIdRequiresTeamDriveCorpora",
			Message: "The driveId parameter must be specified if and only if corpora is set to drive.", Location: "driveId"}
	}
	if (p.corpora == "drive" || p.corpora == "allDrives") && !p.includeFlag {
		return p, &APIError{Code: http.StatusForbidden, Reason: "teamDriveIncludeItemsRequired",
			Message:  "The includeItemsFromAllDrives parameter must be set to true when driveId is specified or corpora contains drive or allDrives.",
			Location: "includeItemsFromAllDrives"}
	}
	if sp := q.Get("spaces"); sp != "" {
		hasDrive := false
		for s := range strings.SplitSeq(sp, ",") {
			switch strings.TrimSpace(s) {
			case "drive":
				hasDrive = true
			case "appDataFolder", "photos":
			default:
				return p, driveInvalidValue("spaces")
			}
		}
		p.spaceDriveOnly = !hasDrive
	}
	var ok bool
	if p.orderBy, ok = parseDriveOrderBy(q.Get("orderBy")); !ok {
		return p, driveInvalidValue("orderBy")
	}
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			return p, &APIError{Code: http.StatusBadRequest, Reason: "invalid",
				Message: "Invalid value '" + v + "'. Values must be within the range: [1, 1000]", Location: "pageSize"}
		}
		p.pageSize = n
	}
	p.pageToken = q.Get("pageToken")
	if _, ok := decodePageToken(p.pageToken); !ok {
		return p, driveInvalidValue("pageToken")
	}
	query, err := parseDriveQuery(q.Get("q"))
	if err != nil {
		return p, driveInvalidValue("q")
	}
	p.query = query
	return p, nil
}

func (s *Sandbox) driveList(w http.ResponseWriter, r *http.Request, c driveCaller) {
	p, e := parseDriveListParams(r)
	if e != nil {
		e.Write(w)
		return
	}
	d := s.drive()
	d.mu.Lock()
	body, e := d.list(p, c)
	d.mu.Unlock()
	if e != nil {
		e.Write(w)
		return
	}
	writeAPIJSON(w, http.StatusOK, p.mask.apply(body))
}

// list runs a checked files.list. Callers hold d.mu.
func (d *driveState) list(p driveListParams, c driveCaller) (map[string]any, *APIError) {
	if p.corpora == "drive" {
		sd := d.drives[p.driveID]
		if sd == nil || sd.members[c.email] == "" {
			return nil, &APIError{Code: http.StatusNotFound, Reason: "notFound",
				Message: "Shared drive not found: " + p.driveID, Location: "driveId"}
		}
	}
	type hit struct {
		f    *driveFile
		role string
	}
	var hits []hit
	qc := &driveQueryCtx{d: d, c: c}
	if !p.spaceDriveOnly {
		for _, f := range d.files {
			if f.isRoot {
				continue
			}
			role := d.role(f, c)
			if role == "" || !d.inCorpus(f, c, p) {
				continue
			}
			if p.query != nil && !p.query.match(qc, f) {
				continue
			}
			hits = append(hits, hit{f, role})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return d.compareFiles(a.f, b.f, p.orderBy, c) })
	start, end, next, ok := paginate(len(hits), p.pageToken, p.pageSize, 100, 1000)
	if !ok {
		return nil, driveInvalidValue("pageToken")
	}
	files := make([]map[string]any, 0, end-start)
	for _, h := range hits[start:end] {
		files = append(files, d.fileJSON(h.f, c, h.role))
	}
	body := map[string]any{"kind": "drive#fileList", "incompleteSearch": false, "files": files}
	if next != "" {
		body["nextPageToken"] = next
	}
	return body, nil
}

// inCorpus applies corpora and the shared drive flags. Callers hold d.mu.
func (d *driveState) inCorpus(f *driveFile, c driveCaller, p driveListParams) bool {
	if f.driveID != "" {
		if !p.includeShared {
			return false
		}
		switch p.corpora {
		case "drive":
			return f.driveID == p.driveID
		case "allDrives":
			return true
		}
		// corpora user/domain reach shared drive items the person created or was given directly.
		if f.creator == c.email {
			return true
		}
		for _, perm := range f.perms {
			if perm.typ == "user" && perm.email == c.email {
				return true
			}
		}
		return false
	}
	switch p.corpora {
	case "drive":
		return false
	case "domain":
		return d.inUserCorpus(f, c) || d.discoverable(f, c)
	}
	return d.inUserCorpus(f, c)
}

// compareFiles orders two files by the orderBy keys, then by id for a stable order.
func (d *driveState) compareFiles(a, b *driveFile, keys []driveOrderKey, c driveCaller) int {
	for _, k := range keys {
		var n int
		switch k.key {
		case "folder":
			n = cmp.Compare(driveBoolInt(a.mimeType != MimeFolder), driveBoolInt(b.mimeType != MimeFolder))
		case "name", "name_natural":
			n = cmp.Or(cmp.Compare(strings.ToLower(a.name), strings.ToLower(b.name)), cmp.Compare(a.name, b.name))
		case "modifiedTime":
			n = a.modified.Compare(b.modified)
		case "createdTime":
			n = a.created.Compare(b.created)
		case "starred":
			n = cmp.Compare(driveBoolInt(a.starredBy[c.email]), driveBoolInt(b.starredBy[c.email]))
		case "quotaBytesUsed":
			n = cmp.Compare(len(a.content), len(b.content))
		case "viewedByMeTime":
			n = a.viewedBy[c.email].Compare(b.viewedBy[c.email])
		case "recency":
			n = driveLatest(a.modified, a.viewedBy[c.email]).Compare(driveLatest(b.modified, b.viewedBy[c.email]))
		case "modifiedByMeTime":
			n = driveMyTime(a, c).Compare(driveMyTime(b, c))
		case "sharedWithMeTime":
			n = d.sharedTime(a, c).Compare(d.sharedTime(b, c))
		}
		if k.desc {
			n = -n
		}
		if n != 0 {
			return n
		}
	}
	return cmp.Compare(a.id, b.id)
}

func driveBoolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func driveLatest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func driveMyTime(f *driveFile, c driveCaller) time.Time {
	if f.lastModifier == c.email {
		return f.modified
	}
	return time.Time{}
}

func (d *driveState) sharedTime(f *driveFile, c driveCaller) time.Time {
	for _, p := range f.perms {
		if p.typ == "user" && p.email == c.email && p.role != "owner" {
			return p.created
		}
	}
	return time.Time{}
}

// driveGet serves files.get: metadata, or the content with alt=media.
func (s *Sandbox) driveGet(w http.ResponseWriter, r *http.Request, c driveCaller) {
	switch alt := r.URL.Query().Get("alt"); alt {
	case "", "json":
	case "media":
		s.driveDownload(w, r, c)
		return
	default:
		driveInvalidValue("alt").Write(w)
		return
	}
	mask, e := driveFields(r.URL.Query().Get("fields"), driveDefaultFileFields, driveFileSchema)
	if e != nil {
		e.Write(w)
		return
	}
	d := s.drive()
	d.mu.Lock()
	f, role, e := d.lookup(r.PathValue("fileId"), c, r)
	var full map[string]any
	if e == nil {
		full = d.fileJSON(f, c, role)
	}
	d.mu.Unlock()
	if e != nil {
		e.Write(w)
		return
	}
	tag := etag(full)
	w.Header().Set("ETag", tag)
	if driveETagMatch(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeAPIJSON(w, http.StatusOK, mask.apply(full))
}

// driveETagMatch reports whether an If-None-Match header names tag (or is "*").
func driveETagMatch(header, tag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

// driveScopeError is the 403 a token without a content scope gets for downloads.
func driveScopeError(w http.ResponseWriter, scopes []string) {
	(&AuthError{Status: http.StatusForbidden, Reason: "insufficientPermissions", Message: msgInsufficientScopes,
		Scopes: scopes}).Respond(w)
}

func (s *Sandbox) driveDownload(w http.ResponseWriter, r *http.Request, c driveCaller) {
	if !slices.ContainsFunc(driveContentScopes, c.has) {
		driveScopeError(w, driveContentScopes)
		return
	}
	d := s.drive()
	d.mu.Lock()
	f, role, e := d.lookup(r.PathValue("fileId"), c, r)
	var content []byte
	var mime string
	var modified time.Time
	if e == nil {
		switch {
		case driveIsNative(f.mimeType):
			e = &APIError{Code: http.StatusForbidden, Reason: "fileNotDownloadable",
				Message: "Only files with binary content can be downloaded. Use Export with Docs Editors files.", Location: "alt"}
		case !d.capabilities(f, role)["canDownload"]:
			e = driveForbidden("cannotDownloadFile", "The user does not have sufficient permissions for this file.")
		default:
			content, mime, modified = f.content, f.mimeType, f.modified
			d.markViewed(f, c)
		}
	}
	d.mu.Unlock()
	if e != nil {
		e.Write(w)
		return
	}
	sum := md5.Sum(content) //nolint:gosec // an ETag, not security
	w.Header().Set("Content-Type", mime)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	w.Header().Set("Content-Disposition", "attachment")
	http.ServeContent(w, r, "", modified, bytes.NewReader(content))
}

// markViewed records that the caller opened f, which puts a link-shared file in their corpus.
func (d *driveState) markViewed(f *driveFile, c driveCaller) {
	if f.viewedBy == nil {
		f.viewedBy = map[string]time.Time{}
	}
	f.viewedBy[c.email] = d.now().UTC().Truncate(time.Millisecond)
}

func (s *Sandbox) driveExport(w http.ResponseWriter, r *http.Request, c driveCaller) {
	mime := r.URL.Query().Get("mimeType")
	if mime == "" {
		driveBadRequest("required", "Required parameter: mimeType", "mimeType").Write(w)
		return
	}
	// files.export has no supportsAllDrives parameter: Google exports shared drive files without it.
	q := r.URL.Query()
	q.Set("supportsAllDrives", "true")
	r.URL.RawQuery = q.Encode()
	d := s.drive()
	d.mu.Lock()
	f, _, e := d.lookup(r.PathValue("fileId"), c, r)
	var out []byte
	if e == nil {
		var ok bool
		switch {
		case !driveIsNative(f.mimeType) || f.mimeType == MimeFolder:
			e = &APIError{Code: http.StatusForbidden, Reason: "fileNotExportable", Message: "Export only supports Docs Editors files."}
		default:
			if out, ok = f.export(mime); !ok {
				e = driveBadRequest("badRequest", "The requested conversion is not supported.", "convertTo")
			} else if len(out) > driveMaxExport {
				e = driveForbidden("exportSizeLimitExceeded", "This file is too large to be exported.")
			} else {
				d.markViewed(f, c)
			}
		}
	}
	d.mu.Unlock()
	if e != nil {
		e.Write(w)
		return
	}
	ct := mime
	if strings.HasPrefix(mime, "text/") {
		ct += "; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

func (s *Sandbox) driveDelete(w http.ResponseWriter, r *http.Request, c driveCaller) {
	d := s.drive()
	d.mu.Lock()
	e := d.deleteFile(r.PathValue("fileId"), c, r)
	d.mu.Unlock()
	if e != nil {
		e.Write(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteFile removes a file for good: its owner (My Drive) or an organizer (shared drive) may.
// A folder takes its owner's items with it; others' items in it lose that parent. Callers hold d.mu.
func (d *driveState) deleteFile(id string, c driveCaller, r *http.Request) *APIError {
	f, role, e := d.lookup(id, c, r)
	if e != nil {
		return e
	}
	if f.isRoot || !d.capabilities(f, role)["canDelete"] || !d.writable(f, c) {
		return driveInsufficientFilePermissions()
	}
	d.remove(f)
	return nil
}

// writable reports whether the token may change f: drive, or drive.file for files its app
// created or opened.
func (d *driveState) writable(f *driveFile, c driveCaller) bool {
	return c.writesAll() || (c.has(driveScopeFile) && f.apps[c.clientID]) || (c.has(driveScopeAppdata) && f.apps[c.clientID])
}

// remove deletes f and, for a folder, the descendants owned by f's owner. Callers hold d.mu.
func (d *driveState) remove(f *driveFile) {
	if f.mimeType == MimeFolder {
		for _, x := range d.descendants(f) {
			if x.owner == f.owner || x.driveID != "" {
				delete(d.files, x.id)
			}
		}
		for _, x := range d.files { // orphan what others kept
			if len(x.parents) > 0 && d.files[x.parents[0]] == nil {
				x.parents = nil
			}
		}
	}
	delete(d.files, f.id)
	for _, x := range d.files {
		if len(x.parents) > 0 && x.parents[0] == f.id {
			x.parents = nil
		}
	}
}

func (s *Sandbox) driveEmptyTrash(w http.ResponseWriter, r *http.Request, c driveCaller) {
	driveID := r.URL.Query().Get("driveId")
	d := s.drive()
	d.mu.Lock()
	var e *APIError
	if driveID != "" {
		if sd := d.drives[driveID]; sd == nil || sd.members[c.email] == "" {
			e = &APIError{Code: http.StatusNotFound, Reason: "notFound", Message: "Shared drive not found: " + driveID, Location: "driveId"}
		} else if sd.members[c.email] != "organizer" {
			e = driveInsufficientFilePermissions()
		}
	}
	if e == nil {
		var victims []*driveFile
		for _, f := range d.files {
			if !f.explicitlyTrashed || !d.writable(f, c) {
				continue
			}
			if (driveID == "" && f.driveID == "" && f.owner == c.email) || (driveID != "" && f.driveID == driveID) {
				victims = append(victims, f)
			}
		}
		for _, f := range victims {
			if d.files[f.id] != nil {
				d.remove(f)
			}
		}
	}
	d.mu.Unlock()
	if e != nil {
		e.Write(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sandbox) driveCopy(w http.ResponseWriter, r *http.Request, c driveCaller) {
	mask, e := driveFields(r.URL.Query().Get("fields"), driveDefaultFileFields, driveFileSchema)
	if e != nil {
		e.Write(w)
		return
	}
	meta, e := readDriveMeta(r.Body)
	if e != nil {
		e.Write(w)
		return
	}
	d := s.drive()
	d.mu.Lock()
	body, e := d.copyFile(r.PathValue("fileId"), meta, c, r)
	d.mu.Unlock()
	writeDriveJSON(w, e, mask, body)
}

// copyFile copies a file (not a folder) the caller can read. Callers hold d.mu.
func (d *driveState) copyFile(id string, meta driveMeta, c driveCaller, r *http.Request) (map[string]any, *APIError) {
	src, role, e := d.lookup(id, c, r)
	if e != nil {
		return nil, e
	}
	if !d.capabilities(src, role)["canCopy"] {
		return nil, driveForbidden("cannotCopyFile", "This file cannot be copied by the user.")
	}
	if meta.Parents == nil {
		parent := d.rootFor(c.email, c.name).id
		if len(src.parents) > 0 {
			if p := d.files[src.parents[0]]; p != nil && driveAtLeast(d.role(p, c), "writer") &&
				(p.driveID == "" || driveSupportsAll(r)) {
				parent = p.id
			}
		}
		meta.Parents = &[]string{parent}
	}
	if meta.Name == nil {
		meta.Name = new("Copy of " + src.name)
	}
	if meta.MimeType == nil {
		meta.MimeType = new(src.mimeType)
	}
	f, e := d.prepareCreate(meta, c, r)
	if e != nil {
		return nil, e
	}
	if f.mimeType != src.mimeType {
		return nil, driveBadRequest("badRequest", "The requested conversion is not supported.", "convertTo")
	}
	f.content = slices.Clone(src.content)
	f.doc = slices.Clone(src.doc)
	f.sheet = driveCloneRows(src.sheet)
	f.slides = slices.Clone(src.slides)
	if meta.Description == nil {
		f.description = src.description
	}
	d.files[f.id] = f
	return d.fileJSON(f, c, d.role(f, c)), nil
}

func driveCloneRows(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = slices.Clone(r)
	}
	return out
}
