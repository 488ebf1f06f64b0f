package scopes

// Service IDs. They are the names a person picks on the consent page and passes to
// `gwmcp auth login --services`, and the prefixes of the per-service group names.
const (
	svcIdentity = "identity"
	svcDrive    = "drive"
	svcGmail    = "gmail"
	svcCalendar = "calendar"
	svcDocs     = "docs"
	svcSheets   = "sheets"
	svcSlides   = "slides"
	svcForms    = "forms"
	svcChat     = "chat"
	svcPeople   = "people"
	svcTasks    = "tasks"
	svcPhotos   = "photos"
	svcScript   = "script"
	svcAdmin    = "admin"
)

// Group-name suffixes every service except identity has.
const (
	suffixBasic    = "_basic"
	suffixFull     = "_full"
	suffixReadOnly = "_readonly"
)

// Names of the groups that are not per service.
const (
	groupBase     = "base"
	groupComplete = "complete"
)

// serviceSpec describes one service and its three standard groups, by short scope name.
type serviceSpec struct {
	id, name, desc string
	always         bool     // requested whatever the person picks (sign-in)
	basic          []string // the default set: what the service's tools need
	full           []string // the broadest access
	readOnly       []string // read-only access
}

// serviceTable lists the services in the order a consent page shows them. The identity
// service has no _basic/_full/_readonly groups; its scopes form the "base" group.
func serviceTable() []serviceSpec {
	return []serviceSpec{
		{id: svcIdentity, name: "Google Account sign-in", always: true,
			desc:  "Your name, email address and profile picture, so gwmcp knows which account is yours",
			basic: []string{"userinfo.email", "userinfo.profile", "openid"}},
		{id: svcDrive, name: "Google Drive", desc: "Search, read, upload and share your files",
			basic:    []string{"drive", "drive.readonly"},
			full:     []string{"drive"},
			readOnly: []string{"drive.readonly"}},
		{id: svcGmail, name: "Gmail", desc: "Search, read, draft, send and label your email; manage filters",
			basic: []string{"gmail.readonly", "gmail.send", "gmail.compose", "gmail.modify", "gmail.labels",
				"gmail.settings.basic", "gmail.settings.sharing"},
			full:     []string{"mail.google.com"},
			readOnly: []string{"gmail.readonly"}},
		{id: svcCalendar, name: "Google Calendar", desc: "See and manage your calendars and events",
			basic:    []string{"calendar.readonly", "calendar.events", "calendar"},
			full:     []string{"calendar"},
			readOnly: []string{"calendar.readonly"}},
		{id: svcDocs, name: "Google Docs", desc: "Read, create and edit documents",
			basic:    []string{"documents.readonly", "documents"},
			full:     []string{"documents"},
			readOnly: []string{"documents.readonly"}},
		{id: svcSheets, name: "Google Sheets", desc: "Read, create and edit spreadsheets",
			basic:    []string{"spreadsheets.readonly", "spreadsheets"},
			full:     []string{"spreadsheets"},
			readOnly: []string{"spreadsheets.readonly"}},
		{id: svcSlides, name: "Google Slides", desc: "Read, create and edit presentations",
			basic:    []string{"presentations", "presentations.readonly"},
			full:     []string{"presentations"},
			readOnly: []string{"presentations.readonly"}},
		{id: svcForms, name: "Google Forms", desc: "Create forms and read their responses",
			basic:    []string{"forms.body", "forms.body.readonly", "forms.responses.readonly"},
			full:     []string{"forms.body", "forms.responses.readonly"},
			readOnly: []string{"forms.body.readonly", "forms.responses.readonly"}},
		{id: svcChat, name: "Google Chat", desc: "Read and send messages in your spaces",
			basic:    []string{"chat.messages.readonly", "chat.messages", "chat.spaces", "chat.memberships.readonly"},
			full:     []string{"chat.messages", "chat.spaces", "chat.memberships"},
			readOnly: []string{"chat.messages.readonly", "chat.spaces.readonly", "chat.memberships.readonly"}},
		{id: svcPeople, name: "Google Contacts", desc: "Find and manage your contacts and contact groups",
			basic:    []string{"contacts.readonly", "contacts"},
			full:     []string{"contacts", "contacts.other.readonly", "directory.readonly"},
			readOnly: []string{"contacts.readonly", "contacts.other.readonly", "directory.readonly"}},
		{id: svcTasks, name: "Google Tasks", desc: "See and manage your task lists and tasks",
			basic:    []string{"tasks.readonly", "tasks"},
			full:     []string{"tasks"},
			readOnly: []string{"tasks.readonly"}},
		{id: svcPhotos, name: "Google Photos", desc: "Browse your albums and upload photos",
			basic:    []string{"photoslibrary.readonly", "photoslibrary.appendonly"},
			full:     []string{"photoslibrary.readonly", "photoslibrary.appendonly", "photoslibrary"},
			readOnly: []string{"photoslibrary.readonly"}},
		{id: svcScript, name: "Google Apps Script", desc: "Read, change and deploy your Apps Script projects",
			basic:    []string{"script.projects", "script.deployments"},
			full:     []string{"script.projects", "script.deployments", "script.metrics", "script.processes"},
			readOnly: []string{"script.projects.readonly", "script.deployments.readonly", "script.metrics", "script.processes"}},
		{id: svcAdmin, name: "Google Workspace Admin directory", desc: "See (or, with full access, manage) your domain's users, groups and organizational units",
			basic: []string{"admin.directory.user.readonly", "admin.directory.group.readonly",
				"admin.directory.orgunit.readonly", "admin.directory.rolemanagement.readonly"},
			full: []string{"admin.directory.user", "admin.directory.group",
				"admin.directory.orgunit", "admin.directory.rolemanagement"},
			readOnly: []string{"admin.directory.user.readonly", "admin.directory.group.readonly",
				"admin.directory.orgunit.readonly", "admin.directory.rolemanagement.readonly"}},
	}
}

// groupSpec is a named set of scopes that is not one service's standard group.
type groupSpec struct {
	name, desc string
	members    []string // short scope names
}

// suiteTable holds the multi-service groups. Their names, and the scopes in them, follow
// the Python server's suites of the same names.
func suiteTable() []groupSpec {
	return []groupSpec{
		{name: "office_suite", desc: "Create and edit Docs, Sheets and Slides, and the Drive files this app uses",
			members: []string{"drive.file", "documents", "spreadsheets", "presentations"}},
		{name: "communication_suite", desc: "Email, chat messages and calendar events",
			members: []string{"gmail.modify", "chat.messages", "calendar.events"}},
		{name: "admin_suite", desc: "Manage the users, groups and administrator roles of your domain",
			members: []string{"admin.directory.user", "admin.directory.group", "admin.directory.rolemanagement"}},
	}
}
