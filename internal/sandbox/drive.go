package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file holds the fake Google Drive API v3: its state (files, shared drives, upload
// sessions), the access rules Google applies, and the routes. The handlers live in
// drive_files.go, drive_upload.go and drive_perms.go; the query language in drive_query.go,
// partial responses in drive_fields.go, the JSON shapes in drive_render.go, native document
// content and its exports in drive_content.go, and the demo workspace in drive_seed.go.

// The Google-native MIME types the fake Drive knows.
const (
	MimeFolder       = "application/vnd.google-apps.folder"
	MimeDocument     = "application/vnd.google-apps.document"
	MimeSpreadsheet  = "application/vnd.google-apps.spreadsheet"
	MimePresentation = "application/vnd.google-apps.presentation"
)

// Drive scopes as Google names them; the per-method sets mirror Google's discovery document.
const (
	driveScopeFull       = "https://www.googleapis.com/auth/drive"
	driveScopeReadonly   = "https://www.googleapis.com/auth/drive.readonly"
	driveScopeFile       = "https://www.googleapis.com/auth/drive.file"
	driveScopeAppdata    = "https://www.googleapis.com/auth/drive.appdata"
	driveScopeMetadata   = "https://www.googleapis.com/auth/drive.metadata"
	driveScopeMetadataRO = "https://www.googleapis.com/auth/drive.metadata.readonly"
	driveScopePhotosRO   = "https://www.googleapis.com/auth/drive.photos.readonly"
	driveScopeMeetRO     = "https://www.googleapis.com/auth/drive.meet.readonly"
	driveScopeScripts    = "https://www.googleapis.com/auth/drive.scripts"
)

var (
	driveReadScopes = []string{driveScopeFull, driveScopeAppdata, driveScopeFile, driveScopeMeetRO,
		driveScopeMetadata, driveScopeMetadataRO, driveScopePhotosRO, driveScopeReadonly}
	driveContentScopes = []string{driveScopeFull, driveScopeAppdata, driveScopeFile, driveScopeMeetRO,
		driveScopePhotosRO, driveScopeReadonly}
	driveExportScopes = []string{driveScopeFull, driveScopeFile, driveScopeMeetRO, driveScopeReadonly}
	driveWriteScopes  = []string{driveScopeFull, driveScopeAppdata, driveScopeFile}
	driveUpdateScopes = []string{driveScopeFull, driveScopeAppdata, driveScopeFile, driveScopeMetadata, driveScopeScripts}
	drivePermRead     = []string{driveScopeFull, driveScopeFile, driveScopeMetadata, driveScopeMetadataRO,
		driveScopePhotosRO, driveScopeReadonly}
	drivePermWrite  = []string{driveScopeFull, driveScopeFile}
	driveDrivesRead = []string{driveScopeFull, driveScopeReadonly}
	driveAboutRead  = []string{driveScopeFull, driveScopeAppdata, driveScopeFile, driveScopeMetadata,
		driveScopeMetadataRO, driveScopePhotosRO, driveScopeReadonly}
)

// Role ranks: a higher rank includes every right of a lower one.
var driveRoleRank = map[string]int{
	"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 5, "owner": 5,
}

// driveMaxExport is Google's 10 MB limit on exported content.
const driveMaxExport = 10 << 20

// driveState is everything the fake Drive holds, behind its own lock.
type driveState struct {
	now  func() time.Time
	rand io.Reader

	mu      sync.Mutex
	files   map[string]*driveFile
	drives  map[string]*driveSharedDrive
	roots   map[string]string // lower-case email -> My Drive root id
	uploads map[string]*driveUploadSession
	names   map[string]string // lower-case email -> display name, for the accounts known at start
	domains map[string]string // lower-case email -> Workspace domain, for the accounts known at start
}

// driveFile is one item: a folder, a Google-native document or a file with binary content.
type driveFile struct {
	id, name, mimeType, description string
	parents                         []string
	owner                           string // email; empty for shared drive items
	driveID                         string
	creator, lastModifier           string
	created, modified               time.Time
	trashed, explicitlyTrashed      bool
	trashedTime                     time.Time
	trashingUser                    string
	starredBy                       map[string]bool
	viewedBy                        map[string]time.Time
	version                         int64
	isRoot                          bool
	originalFilename                string
	copyRequiresWriter              bool
	writersCanShare                 bool
	apps                            map[string]bool // OAuth clients that created or opened it (drive.file)

	content []byte          // binary content
	doc     []driveDocBlock // Google Docs content
	sheet   [][]string      // Google Sheets content (the first sheet)
	slides  []driveSlide    // Google Slides content

	perms []*drivePerm
}

// drivePerm is one permission on a file.
type drivePerm struct {
	id, typ, role, email, domain, displayName string
	allowDiscovery                            bool
	created                                   time.Time
	sharer                                    string
}

// driveSharedDrive is a shared drive and its members (email -> role).
type driveSharedDrive struct {
	id, name string
	created  time.Time
	members  map[string]string
	colorRgb string
}

// driveCaller is the person making a request, as the access rules need them.
type driveCaller struct {
	email    string // lower-case
	domain   string // Workspace domain; empty for consumer accounts
	clientID string
	scopes   []string
	name     string
}

func (c driveCaller) has(scope string) bool { return slices.Contains(c.scopes, scope) }

// seesAll reports whether the token reaches every file the person can see; a token with
// only drive.file (or drive.appdata) reaches only the files its app created or opened.
func (c driveCaller) seesAll() bool {
	return c.has(driveScopeFull) || c.has(driveScopeReadonly) || c.has(driveScopeMetadata) ||
		c.has(driveScopeMetadataRO) || c.has(driveScopePhotosRO) || c.has(driveScopeMeetRO)
}

// writesAll reports whether the token may change any file the person can change.
func (c driveCaller) writesAll() bool { return c.has(driveScopeFull) }

// newDriveState builds the Drive and seeds the demo workspace from now.
func newDriveState(now func() time.Time, rand io.Reader, accounts []Account) *driveState {
	d := &driveState{
		now: now, rand: rand,
		files:   map[string]*driveFile{},
		drives:  map[string]*driveSharedDrive{},
		roots:   map[string]string{},
		uploads: map[string]*driveUploadSession{},
		names:   map[string]string{},
		domains: map[string]string{},
	}
	for _, a := range accounts {
		d.names[strings.ToLower(a.Email)] = a.Name
		d.domains[strings.ToLower(a.Email)] = strings.ToLower(a.HostedDomain)
	}
	d.seed(now().UTC().Truncate(time.Millisecond))
	return d
}

// drive returns the Drive state; routeDrive created it while New built the sandbox.
func (s *Sandbox) drive() *driveState { return s.drv }

// routeDrive registers Drive API v3 at Google's paths: metadata under /drive/v3/ and
// media uploads under /upload/drive/v3/ (where google-api-go sends them when its endpoint
// is BASE/drive/v3/).
func (s *Sandbox) routeDrive(mux *http.ServeMux) {
	s.drv = newDriveState(s.now, s.rand, s.Accounts())
	h := func(scopes []string, f func(http.ResponseWriter, *http.Request, driveCaller)) http.HandlerFunc {
		return s.api("drive", scopes, func(w http.ResponseWriter, r *http.Request, g Grant) {
			f(w, r, s.driveCallerFor(g))
		})
	}
	mux.HandleFunc("GET /drive/v3/about", h(driveAboutRead, s.driveAbout))
	mux.HandleFunc("GET /drive/v3/files", h(driveReadScopes, s.driveList))
	mux.HandleFunc("POST /drive/v3/files", s.driveUploadEntry)
	mux.HandleFunc("DELETE /drive/v3/files/trash", h(driveWriteScopes, s.driveEmptyTrash))
	mux.HandleFunc("GET /drive/v3/files/{fileId}", h(driveReadScopes, s.driveGet))
	mux.HandleFunc("PATCH /drive/v3/files/{fileId}", h(driveUpdateScopes, s.driveUpdate))
	mux.HandleFunc("DELETE /drive/v3/files/{fileId}", h(driveWriteScopes, s.driveDelete))
	mux.HandleFunc("POST /drive/v3/files/{fileId}/copy", h(driveWriteScopes, s.driveCopy))
	mux.HandleFunc("GET /drive/v3/files/{fileId}/export", h(driveExportScopes, s.driveExport))
	mux.HandleFunc("GET /drive/v3/files/{fileId}/permissions", h(drivePermRead, s.drivePermList))
	mux.HandleFunc("POST /drive/v3/files/{fileId}/permissions", h(drivePermWrite, s.drivePermCreate))
	mux.HandleFunc("GET /drive/v3/files/{fileId}/permissions/{permissionId}", h(drivePermRead, s.drivePermGet))
	mux.HandleFunc("PATCH /drive/v3/files/{fileId}/permissions/{permissionId}", h(drivePermWrite, s.drivePermUpdate))
	mux.HandleFunc("DELETE /drive/v3/files/{fileId}/permissions/{permissionId}", h(drivePermWrite, s.drivePermDelete))
	mux.HandleFunc("GET /drive/v3/drives", h(driveDrivesRead, s.driveDrivesList))
	mux.HandleFunc("GET /drive/v3/drives/{driveId}", h(driveDrivesRead, s.driveDrivesGet))
	mux.HandleFunc("POST /upload/drive/v3/files", s.driveUploadEntry)
	mux.HandleFunc("PUT /upload/drive/v3/files", s.driveUploadEntry)
	mux.HandleFunc("PATCH /upload/drive/v3/files/{fileId}", h(driveUpdateScopes, s.driveUpdate))
}

// driveCallerFor describes the grant's person for the access rules.
func (s *Sandbox) driveCallerFor(g Grant) driveCaller {
	c := driveCaller{email: strings.ToLower(g.Email), clientID: g.ClientID, scopes: g.Scopes}
	if a, ok := s.LookupAccount(g.Sub); ok {
		c.domain, c.name = strings.ToLower(a.HostedDomain), a.Name
	}
	return c
}

// rootFor returns the caller's My Drive root, creating it on first use. Callers hold d.mu.
func (d *driveState) rootFor(email, name string) *driveFile {
	email = strings.ToLower(email)
	if id, ok := d.roots[email]; ok {
		return d.files[id]
	}
	sum := sha256.Sum256([]byte("root:" + email))
	id := "0A" + base64.RawURLEncoding.EncodeToString(sum[:9]) + "Uk9PVA"
	t := d.now().UTC().Truncate(time.Millisecond)
	f := &driveFile{id: id, name: "My Drive", mimeType: MimeFolder, owner: email, creator: email,
		lastModifier: email, created: t, modified: t, version: 1, isRoot: true, writersCanShare: true}
	f.perms = []*drivePerm{d.userPerm(email, "owner", t, "")}
	d.files[id] = f
	d.roots[email] = id
	if name != "" {
		d.names[email] = name
	}
	return f
}

// resolveID maps the alias "root" to the caller's root. Callers hold d.mu.
func (d *driveState) resolveID(id string, c driveCaller) string {
	if id == "root" {
		return d.rootFor(c.email, c.name).id
	}
	return id
}

// newID returns a fresh file id shaped like Google's (33 URL-safe characters).
func (d *driveState) newID() string {
	var b [24]byte
	if _, err := io.ReadFull(d.rand, b[:]); err != nil {
		// The injected reader failed; fall back to a counter-like id so requests still work.
		binary.BigEndian.PutUint64(b[:], uint64(d.now().UnixNano()))
	}
	return "1" + base64.RawURLEncoding.EncodeToString(b[:])[:32]
}

// userPerm builds a user permission with Google-like stable ids.
func (d *driveState) userPerm(email, role string, t time.Time, sharer string) *drivePerm {
	email = strings.ToLower(email)
	return &drivePerm{id: drivePermissionID("user:" + email), typ: "user", role: role, email: email,
		displayName: d.names[email], created: t, sharer: sharer}
}

// permissionID derives the numeric permission id Google gives a user, group or domain.
func drivePermissionID(key string) string {
	sum := sha256.Sum256([]byte("perm:" + key))
	n := binary.BigEndian.Uint64(sum[:8])
	return fmt.Sprintf("%020d", n%1e19+1e19/10)
}

// ancestors returns f's parents chain (nearest first), guarding against cycles. Callers hold d.mu.
func (d *driveState) ancestors(f *driveFile) []*driveFile {
	var out []*driveFile
	seen := map[string]bool{f.id: true}
	cur := f
	for len(cur.parents) > 0 {
		p := d.files[cur.parents[0]]
		if p == nil || seen[p.id] {
			break
		}
		seen[p.id] = true
		out = append(out, p)
		cur = p
	}
	return out
}

// permMatches reports whether p grants something to the caller.
func drivePermMatches(p *drivePerm, c driveCaller) bool {
	switch p.typ {
	case "user", "group":
		return p.email == c.email
	case "domain":
		return c.domain != "" && p.domain == c.domain
	case "anyone":
		return true
	}
	return false
}

// role returns the caller's effective role on f ("" when f is invisible to them): ownership,
// shared drive membership, and permissions on f or inherited from its folders. The token's
// drive.file restriction is applied too. Callers hold d.mu.
func (d *driveState) role(f *driveFile, c driveCaller) string {
	if !c.seesAll() && !f.apps[c.clientID] && !f.isRoot {
		return ""
	}
	return d.personRole(f, c)
}

// personRole is the person's effective role, regardless of the token's scopes.
func (d *driveState) personRole(f *driveFile, c driveCaller) string {
	best := ""
	raise := func(r string) {
		if driveRoleRank[r] > driveRoleRank[best] {
			best = r
		}
	}
	if f.owner != "" && f.owner == c.email {
		return "owner"
	}
	if f.driveID != "" {
		if sd := d.drives[f.driveID]; sd != nil {
			raise(sd.members[c.email])
		}
	}
	for i, x := range append([]*driveFile{f}, d.ancestors(f)...) {
		for _, p := range x.perms {
			if !drivePermMatches(p, c) {
				continue
			}
			r := p.role
			if r == "owner" && i > 0 {
				r = "writer" // owning a folder gives write access to items others put in it
			}
			raise(r)
		}
	}
	return best
}

func driveAtLeast(role, want string) bool {
	return role != "" && driveRoleRank[role] >= driveRoleRank[want]
}

// inUserCorpus reports whether f belongs to the caller's "user" corpus: owned by them, shared
// with them by a user permission (directly or through a folder), or opened by them.
func (d *driveState) inUserCorpus(f *driveFile, c driveCaller) bool {
	if f.owner == c.email {
		return true
	}
	if _, ok := f.viewedBy[c.email]; ok {
		return true
	}
	for _, x := range append([]*driveFile{f}, d.ancestors(f)...) {
		for _, p := range x.perms {
			if (p.typ == "user" || p.typ == "group") && p.email == c.email {
				return true
			}
		}
	}
	return false
}

// discoverable reports whether f is findable by the caller through a domain or public
// permission that allows file discovery.
func (d *driveState) discoverable(f *driveFile, c driveCaller) bool {
	for _, x := range append([]*driveFile{f}, d.ancestors(f)...) {
		for _, p := range x.perms {
			if p.allowDiscovery && (p.typ == "anyone" || (p.typ == "domain" && drivePermMatches(p, c))) {
				return true
			}
		}
	}
	return false
}

// lookup finds a file the caller may see, answering Google's 404 otherwise (Google hides the
// existence of files one cannot see). Shared drive items need supportsAllDrives=true.
func (d *driveState) lookup(id string, c driveCaller, r *http.Request) (*driveFile, string, *APIError) {
	id = d.resolveID(id, c)
	f := d.files[id]
	if f == nil {
		return nil, "", driveFileNotFound(id)
	}
	if f.driveID != "" && !driveSupportsAll(r) {
		return nil, "", driveFileNotFound(id)
	}
	role := d.role(f, c)
	if role == "" {
		return nil, "", driveFileNotFound(id)
	}
	return f, role, nil
}

// descendants returns every item below folder f. Callers hold d.mu.
func (d *driveState) descendants(f *driveFile) []*driveFile {
	var out []*driveFile
	queue := []string{f.id}
	seen := map[string]bool{f.id: true}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		for _, x := range d.files {
			if len(x.parents) > 0 && x.parents[0] == parent && !seen[x.id] {
				seen[x.id] = true
				out = append(out, x)
				queue = append(queue, x.id)
			}
		}
	}
	return out
}

// touch records a change by who: new version, and a new modifiedTime when content or
// metadata a person sees changed.
func (d *driveState) touch(f *driveFile, who string, modified bool) {
	f.version++
	if modified {
		f.modified = d.now().UTC().Truncate(time.Millisecond)
		f.lastModifier = who
	}
}

func driveSupportsAll(r *http.Request) bool {
	q := r.URL.Query()
	return q.Get("supportsAllDrives") == "true" || q.Get("supportsTeamDrives") == "true"
}

func driveFileNotFound(id string) *APIError {
	return &APIError{Code: http.StatusNotFound, Reason: "notFound", Message: "File not found: " + id + ".", Location: "fileId"}
}

func driveInsufficientFilePermissions() *APIError {
	return &APIError{Code: http.StatusForbidden, Reason: "insufficientFilePermissions",
		Message: "The user does not have sufficient permissions for this file."}
}

func driveInvalidValue(location string) *APIError {
	return &APIError{Code: http.StatusBadRequest, Reason: "invalid", Message: "Invalid Value", Location: location}
}

func driveBadRequest(reason, msg, location string) *APIError {
	return &APIError{Code: http.StatusBadRequest, Reason: reason, Message: msg, Location: location}
}

func driveForbidden(reason, msg string) *APIError {
	return &APIError{Code: http.StatusForbidden, Reason: reason, Message: msg}
}

// boolParam reads a boolean query parameter the way Google does ("true"/"false"); anything
// else is 400 invalid.
func driveBoolParam(r *http.Request, name string) (bool, *APIError) {
	v := r.URL.Query().Get(name)
	switch v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, &APIError{Code: http.StatusBadRequest, Reason: "invalid",
		Message: "Invalid value '" + v + "'. Values must be one of: [true, false]", Location: name}
}

// DriveFileInfo is a read-only view of a Drive item, for tests that assert on state.
type DriveFileInfo struct {
	ID, Name, MimeType, Description string
	Parents                         []string
	Owner                           string // empty for shared drive items
	DriveID                         string
	Trashed                         bool
	StarredBy                       []string
	Created, Modified               time.Time
	Version                         int64
	Size                            int64 // binary content only
	Content                         []byte
	Permissions                     []DrivePermissionInfo
}

// DrivePermissionInfo is one direct permission of a Drive item.
type DrivePermissionInfo struct {
	ID, Type, Role, EmailAddress, Domain string
	AllowFileDiscovery                   bool
}

// DriveFile returns the item with this id as the fake Drive holds it now.
func (s *Sandbox) DriveFile(id string) (DriveFileInfo, bool) {
	d := s.drive()
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.files[id]
	if f == nil {
		return DriveFileInfo{}, false
	}
	info := DriveFileInfo{ID: f.id, Name: f.name, MimeType: f.mimeType, Description: f.description,
		Parents: slices.Clone(f.parents), Owner: f.owner, DriveID: f.driveID, Trashed: f.trashed,
		Created: f.created, Modified: f.modified, Version: f.version, Content: slices.Clone(f.content)}
	if !driveIsNative(f.mimeType) {
		info.Size = int64(len(f.content))
	}
	for e, ok := range f.starredBy {
		if ok {
			info.StarredBy = append(info.StarredBy, e)
		}
	}
	slices.Sort(info.StarredBy)
	for _, p := range f.perms {
		info.Permissions = append(info.Permissions, DrivePermissionInfo{ID: p.id, Type: p.typ, Role: p.role,
			EmailAddress: p.email, Domain: p.domain, AllowFileDiscovery: p.allowDiscovery})
	}
	return info, true
}

// DriveFiles returns the ids of every item (roots excluded) whose name matches exactly,
// sorted, so tests can find what a tool created.
func (s *Sandbox) DriveFiles(name string) []string {
	d := s.drive()
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for _, f := range d.files {
		if !f.isRoot && f.name == name {
			ids = append(ids, f.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// DriveRootID returns the id of the person's My Drive root folder.
func (s *Sandbox) DriveRootID(email string) string {
	name := ""
	if a, ok := s.LookupAccount(email); ok {
		name = a.Name
	}
	d := s.drive()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rootFor(email, name).id
}

func driveItoa(n int64) string { return strconv.FormatInt(n, 10) }
