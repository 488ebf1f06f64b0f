package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file serves permissions.list/get/create/update/delete, drives.list/get and about.get.

const (
	drivePermDefaultFields     = "kind,id,type,role"
	drivePermListDefaultFields = "kind,nextPageToken,permissions(kind,id,type,role)"
)

var driveRoles = []string{"owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"}

// drivePermIn is a permission in a request body.
type drivePermIn struct {
	Type               string `json:"type"`
	Role               string `json:"role"`
	EmailAddress       string `json:"emailAddress"`
	Domain             string `json:"domain"`
	AllowFileDiscovery *bool  `json:"allowFileDiscovery"`
}

func readDrivePerm(r *http.Request) (drivePermIn, *APIError) {
	var p drivePermIn
	b, err := io.ReadAll(io.LimitReader(r.Body, driveMaxMetadata+1))
	if err != nil || len(b) > driveMaxMetadata {
		return p, driveBadRequest("badRequest", "Request body too large or unreadable.", "")
	}
	if len(strings.TrimSpace(string(b))) > 0 {
		if err := json.Unmarshal(b, &p); err != nil {
			return p, driveBadRequest("parseError", "Parse Error", "")
		}
	}
	p.EmailAddress = strings.ToLower(strings.TrimSpace(p.EmailAddress))
	p.Domain = strings.ToLower(strings.TrimSpace(p.Domain))
	return p, nil
}

func drivePermNotFound(id string) *APIError {
	return &APIError{Code: http.StatusNotFound, Reason: "notFound", Message: "Permission not found: " + id + ".", Location: "permissionId"}
}

func (s *Sandbox) drivePermList(w http.ResponseWriter, r *http.Request, c driveCaller) {
	mask, e := driveFields(r.URL.Query().Get("fields"), drivePermListDefaultFields, drivePermListSchema)
	if e != nil {
		e.Write(w)
		return
	}
	size := 0
	if v := r.URL.Query().Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			(&APIError{Code: 400, Reason: "invalid", Message: "Invalid value '" + v + "'. Values must be within the range: [1, 100]",
				Location: "pageSize"}).Write(w)
			return
		}
		size = n
	}
	d := s.drive()
	d.mu.Lock()
	var body map[string]any
	f, _, e := d.lookup(r.PathValue("fileId"), c, r)
	if e == nil {
		perms := d.effectivePerms(f)
		start, end, next, ok := paginate(len(perms), r.URL.Query().Get("pageToken"), size, 100, 100)
		if !ok {
			e = driveInvalidValue("pageToken")
		} else {
			list := make([]map[string]any, 0, end-start)
			for _, p := range perms[start:end] {
				list = append(list, d.permJSON(p))
			}
			body = map[string]any{"kind": "drive#permissionList", "permissions": list}
			if next != "" {
				body["nextPageToken"] = next
			}
		}
	}
	d.mu.Unlock()
	writeDriveJSON(w, e, mask, body)
}

func (s *Sandbox) drivePermGet(w http.ResponseWriter, r *http.Request, c driveCaller) {
	mask, e := driveFields(r.URL.Query().Get("fields"), drivePermDefaultFields, drivePermSchema)
	if e != nil {
		e.Write(w)
		return
	}
	d := s.drive()
	d.mu.Lock()
	var body map[string]any
	f, _, e := d.lookup(r.PathValue("fileId"), c, r)
	if e == nil {
		e = drivePermNotFound(r.PathValue("permissionId"))
		for _, p := range d.effectivePerms(f) {
			if p.perm.id == r.PathValue("permissionId") {
				body, e = d.permJSON(p), nil
				break
			}
		}
	}
	d.mu.Unlock()
	writeDriveJSON(w, e, mask, body)
}

func (s *Sandbox) drivePermCreate(w http.ResponseWriter, r *http.Request, c driveCaller) {
	mask, e := driveFields(r.URL.Query().Get("fields"), drivePermDefaultFields, drivePermSchema)
	if e != nil {
		e.Write(w)
		return
	}
	in, e := readDrivePerm(r)
	if e != nil {
		e.Write(w)
		return
	}
	notify := true
	if v := r.URL.Query().Get("sendNotificationEmail"); v != "" {
		if v != "true" && v != "false" {
			driveInvalidValue("sendNotificationEmail").Write(w)
			return
		}
		notify = v == "true"
	}
	transfer, e := driveBoolParam(r, "transferOwnership")
	if e != nil {
		e.Write(w)
		return
	}
	d := s.drive()
	d.mu.Lock()
	body, e := d.createPerm(r.PathValue("fileId"), in, notify, transfer, c, r)
	d.mu.Unlock()
	writeDriveJSON(w, e, mask, body)
}

// createPerm shares a file. Callers hold d.mu.
func (d *driveState) createPerm(id string, in drivePermIn, notify, transfer bool, c driveCaller, r *http.Request) (map[string]any, *APIError) {
	f, role, e := d.lookup(id, c, r)
	if e != nil {
		return nil, e
	}
	switch {
	case in.Type == "":
		return nil, driveBadRequest("required", "The permission type field is required.", "permission.type")
	case in.Role == "":
		return nil, driveBadRequest("required", "The permission role field is required.", "permission.role")
	case !slices.Contains([]string{"user", "group", "domain", "anyone"}, in.Type):
		return nil, driveBadRequest("invalid", "The permission type is invalid.", "permission.type")
	case !slices.Contains(driveRoles, in.Role):
		return nil, driveBadRequest("invalid", "The permission role is invalid.", "permission.role")
	}
	if f.isRoot || !d.capabilities(f, role)["canShare"] || !d.writable(f, c) {
		return nil, driveInsufficientFilePermissions()
	}
	if (in.Role == "organizer" || in.Role == "fileOrganizer") && f.driveID == "" {
		return nil, driveBadRequest("invalidSharingRequest", "Bad Request. User message: \"The role "+in.Role+" is only available on shared drives.\"", "permission.role")
	}
	now := d.now().UTC().Truncate(time.Millisecond)
	var p *drivePerm
	switch in.Type {
	case "user", "group":
		if in.EmailAddress == "" || !strings.Contains(in.EmailAddress, "@") {
			return nil, driveBadRequest("invalidSharingRequest", "Bad Request. User message: \"Permission email address is required for user and group permissions.\"", "permission.emailAddress")
		}
		if _, known := d.names[in.EmailAddress]; !known && !notify && in.Type == "user" {
			return nil, driveBadRequest("invalidSharingRequest", "Bad Request. User message: \"You are trying to invite "+in.EmailAddress+
				". Since there is no Google account associated with this email address, you must check the \"Notify people\" box to invite this recipient.\"", "")
		}
		p = d.userPerm(in.EmailAddress, in.Role, now, c.email)
		p.typ = in.Type
		if in.Type == "group" {
			p.id = drivePermissionID("group:" + in.EmailAddress)
		}
	case "domain":
		if in.Domain == "" {
			return nil, driveBadRequest("invalidSharingRequest", "Bad Request. User message: \"Permission domain is required for domain permissions.\"", "permission.domain")
		}
		p = &drivePerm{id: drivePermissionID("domain:"+in.Domain) + "k", typ: "domain", role: in.Role, domain: in.Domain,
			displayName: in.Domain, allowDiscovery: in.AllowFileDiscovery != nil && *in.AllowFileDiscovery, created: now, sharer: c.email}
	case "anyone":
		p = &drivePerm{id: "anyoneWithLink", typ: "anyone", role: in.Role, created: now, sharer: c.email,
			allowDiscovery: in.AllowFileDiscovery != nil && *in.AllowFileDiscovery}
		if p.allowDiscovery {
			p.id = "anyone"
		}
	}
	if in.Role == "owner" {
		if e := d.transferOwnership(f, p, transfer, c); e != nil {
			return nil, e
		}
		d.touch(f, c.email, false)
		return d.permJSON(driveEffPerm{perm: p}), nil
	}
	if p.typ == "anyone" { // one link setting per file
		f.perms = slices.DeleteFunc(f.perms, func(x *drivePerm) bool { return x.typ == "anyone" })
	}
	replaced := false
	for i, x := range f.perms {
		if x.id == p.id {
			if x.role == "owner" {
				return nil, driveForbidden("cannotRemoveOwner", "The owner of a file cannot be removed.")
			}
			f.perms[i], replaced = p, true
		}
	}
	if !replaced {
		f.perms = append(f.perms, p)
	}
	d.touch(f, c.email, false)
	return d.permJSON(driveEffPerm{perm: p}), nil
}

// transferOwnership makes p's user the owner of f; the former owner keeps write access.
func (d *driveState) transferOwnership(f *driveFile, p *drivePerm, transfer bool, c driveCaller) *APIError {
	switch {
	case f.driveID != "":
		return driveBadRequest("invalidSharingRequest", "Bad Request. User message: \"Items in shared drives cannot have an owner.\"", "permission.role")
	case p.typ != "user":
		return driveBadRequest("invalidSharingRequest", "Bad Request. User message: \"Only a user can own a file.\"", "permission.role")
	case f.owner != c.email:
		return driveInsufficientFilePermissions()
	case !transfer:
		return driveForbidden("forbidden", "The transferOwnership parameter must be enabled when the permission role is 'owner'.")
	case d.domains[p.email] != d.domains[f.owner]:
		return driveForbidden("ownershipChangeAcrossDomainNotPermitted",
			"Ownership can only be transferred to another user in the same organization as the current owner.")
	}
	for _, x := range f.perms {
		if x.role == "owner" {
			x.role = "writer"
		}
	}
	f.perms = slices.DeleteFunc(f.perms, func(x *drivePerm) bool { return x.id == p.id })
	f.perms = append(f.perms, p)
	f.owner = p.email
	return nil
}

func (s *Sandbox) drivePermUpdate(w http.ResponseWriter, r *http.Request, c driveCaller) {
	mask, e := driveFields(r.URL.Query().Get("fields"), drivePermDefaultFields, drivePermSchema)
	if e != nil {
		e.Write(w)
		return
	}
	in, e := readDrivePerm(r)
	if e != nil {
		e.Write(w)
		return
	}
	transfer, e := driveBoolParam(r, "transferOwnership")
	if e != nil {
		e.Write(w)
		return
	}
	d := s.drive()
	d.mu.Lock()
	body, e := d.updatePerm(r.PathValue("fileId"), r.PathValue("permissionId"), in, transfer, c, r)
	d.mu.Unlock()
	writeDriveJSON(w, e, mask, body)
}

// directPerm finds a permission set on f itself; an inherited one cannot be changed there.
func (d *driveState) directPerm(f *driveFile, permID string) (*drivePerm, *APIError) {
	for _, p := range f.perms {
		if p.id == permID {
			return p, nil
		}
	}
	for _, p := range d.effectivePerms(f) {
		if p.perm.id == permID {
			return nil, driveForbidden("cannotModifyInheritedPermission", "The permission is inherited and cannot be changed on this item.")
		}
	}
	return nil, drivePermNotFound(permID)
}

func (d *driveState) updatePerm(id, permID string, in drivePermIn, transfer bool, c driveCaller, r *http.Request) (map[string]any, *APIError) {
	f, role, e := d.lookup(id, c, r)
	if e != nil {
		return nil, e
	}
	if !d.capabilities(f, role)["canShare"] || !d.writable(f, c) {
		return nil, driveInsufficientFilePermissions()
	}
	p, e := d.directPerm(f, permID)
	if e != nil {
		return nil, e
	}
	if in.Role == "" {
		return nil, driveBadRequest("required", "The permission role field is required.", "permission.role")
	}
	if !slices.Contains(driveRoles, in.Role) {
		return nil, driveBadRequest("invalid", "The permission role is invalid.", "permission.role")
	}
	if p.role == "owner" && in.Role != "owner" {
		return nil, driveForbidden("cannotRemoveOwner", "The owner of a file cannot be removed.")
	}
	if in.Role == "owner" && p.role != "owner" {
		if e := d.transferOwnership(f, p, transfer, c); e != nil {
			return nil, e
		}
	}
	p.role = in.Role
	d.touch(f, c.email, false)
	return d.permJSON(driveEffPerm{perm: p}), nil
}

func (s *Sandbox) drivePermDelete(w http.ResponseWriter, r *http.Request, c driveCaller) {
	d := s.drive()
	d.mu.Lock()
	e := d.deletePerm(r.PathValue("fileId"), r.PathValue("permissionId"), c, r)
	d.mu.Unlock()
	if e != nil {
		e.Write(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (d *driveState) deletePerm(id, permID string, c driveCaller, r *http.Request) *APIError {
	f, role, e := d.lookup(id, c, r)
	if e != nil {
		return e
	}
	p, e := d.directPerm(f, permID)
	if e != nil {
		return e
	}
	self := p.typ == "user" && p.email == c.email
	if !self && (!d.capabilities(f, role)["canShare"] || !d.writable(f, c)) {
		return driveInsufficientFilePermissions()
	}
	if p.role == "owner" {
		return driveForbidden("cannotRemoveOwner", "The owner of a file cannot be removed.")
	}
	f.perms = slices.DeleteFunc(f.perms, func(x *drivePerm) bool { return x == p })
	d.touch(f, c.email, false)
	return nil
}

func (s *Sandbox) driveDrivesList(w http.ResponseWriter, r *http.Request, c driveCaller) {
	mask, e := driveFields(r.URL.Query().Get("fields"), "kind,nextPageToken,drives(kind,id,name)", driveDriveListSchema)
	if e != nil {
		e.Write(w)
		return
	}
	q := r.URL.Query()
	size := 10
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			(&APIError{Code: 400, Reason: "invalid", Message: "Invalid value '" + v + "'. Values must be within the range: [1, 100]",
				Location: "pageSize"}).Write(w)
			return
		}
		size = n
	}
	query, err := parseDriveQuery(q.Get("q"))
	if err != nil {
		driveInvalidValue("q").Write(w)
		return
	}
	d := s.drive()
	d.mu.Lock()
	var list []*driveSharedDrive
	qc := &driveQueryCtx{d: d, c: c}
	for _, sd := range d.drives {
		if sd.members[c.email] == "" {
			continue
		}
		if query != nil && !query.match(qc, &driveFile{id: sd.id, name: sd.name, mimeType: MimeFolder, created: sd.created, modified: sd.created}) {
			continue
		}
		list = append(list, sd)
	}
	slices.SortFunc(list, func(a, b *driveSharedDrive) int { return strings.Compare(a.id, b.id) })
	var body map[string]any
	start, end, next, ok := paginate(len(list), q.Get("pageToken"), size, 10, 100)
	if ok {
		drives := make([]map[string]any, 0, end-start)
		for _, sd := range list[start:end] {
			drives = append(drives, d.driveJSON(sd, c))
		}
		body = map[string]any{"kind": "drive#driveList", "drives": drives}
		if next != "" {
			body["nextPageToken"] = next
		}
	}
	d.mu.Unlock()
	if !ok {
		driveInvalidValue("pageToken").Write(w)
		return
	}
	writeAPIJSON(w, http.StatusOK, mask.apply(body))
}

func (s *Sandbox) driveDrivesGet(w http.ResponseWriter, r *http.Request, c driveCaller) {
	mask, e := driveFields(r.URL.Query().Get("fields"), "kind,id,name", driveDriveSchema)
	if e != nil {
		e.Write(w)
		return
	}
	id := r.PathValue("driveId")
	d := s.drive()
	d.mu.Lock()
	var body map[string]any
	if sd := d.drives[id]; sd != nil && sd.members[c.email] != "" {
		body = d.driveJSON(sd, c)
	}
	d.mu.Unlock()
	if body == nil {
		(&APIError{Code: http.StatusNotFound, Reason: "notFound", Message: "Shared drive not found: " + id, Location: "driveId"}).Write(w)
		return
	}
	writeAPIJSON(w, http.StatusOK, mask.apply(body))
}

func (s *Sandbox) driveAbout(w http.ResponseWriter, r *http.Request, c driveCaller) {
	raw := r.URL.Query().Get("fields")
	if raw == "" {
		driveBadRequest("required", "The 'fields' parameter is required for this method.", "fields").Write(w)
		return
	}
	mask, e := driveFields(raw, "", driveAboutSchema)
	if e != nil {
		e.Write(w)
		return
	}
	d := s.drive()
	d.mu.Lock()
	var usage, trash int64
	for _, f := range d.files {
		if f.owner == c.email && !driveIsNative(f.mimeType) {
			usage += int64(len(f.content))
			if f.trashed {
				trash += int64(len(f.content))
			}
		}
	}
	d.rootFor(c.email, c.name)
	user := d.userJSON(c.email, c)
	d.mu.Unlock()
	limit := "16106127360" // 15 GB for a consumer account
	if c.domain != "" {
		limit = "32212254720" // 30 GB per Workspace user
	}
	exports := map[string][]string{}
	for k, v := range driveExportFormats {
		exports[k] = v
	}
	body := map[string]any{
		"kind": "drive#about", "user": user, "appInstalled": false,
		"storageQuota": map[string]string{"limit": limit, "usage": driveItoa(usage), "usageInDrive": driveItoa(usage),
			"usageInDriveTrash": driveItoa(trash)},
		"maxUploadSize": "5242880000000", "canCreateDrives": c.domain != "", "canCreateTeamDrives": c.domain != "",
		"exportFormats": exports,
		"importFormats": map[string][]string{
			"text/plain": {MimeDocument}, "text/markdown": {MimeDocument}, "text/html": {MimeDocument},
			"text/csv": {MimeSpreadsheet}, "text/tab-separated-values": {MimeSpreadsheet},
		},
		"folderColorPalette": []string{"#ac725e", "#d06b64", "#f83a22", "#fa573c", "#ff7537", "#ffad46"},
	}
	writeAPIJSON(w, http.StatusOK, mask.apply(body))
}
