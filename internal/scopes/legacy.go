package scopes

// legacySpec is a name the Python server accepted for one scope or a set of scopes.
// Resolve accepts these only when Options.Legacy is on (LEGACY_COMPAT_MODE).
type legacySpec struct {
	name    string
	targets []string // short scope names
	modern  string   // what to use instead; empty means targets[0]
}

func (l legacySpec) replacement() string {
	if l.modern != "" {
		return l.modern
	}
	return l.targets[0]
}

// legacyTable lists the Python server's scope names for the services gwmcp covers.
// Names of services gwmcp does not cover (YouTube, Cloud Platform, Vault, ...) are left
// out on purpose: accepting them would request access no tool uses.
//
// Some names are also gwmcp's own short or group names (drive, calendar, tasks,
// drive_full, gmail_readonly, ...). Those resolve to gwmcp's meaning, which always
// grants at least what the Python name did; the tests prove it.
func legacyTable() []legacySpec {
	one := func(name, target string) legacySpec { return legacySpec{name: name, targets: []string{target}} }
	return []legacySpec{
		// Bare identity names.
		one("userinfo", "userinfo.email"),
		one("userinfo_email", "userinfo.email"),
		one("userinfo_profile", "userinfo.profile"),

		// {service}_{key} names, generated there from the registry's per-service keys.
		one("drive_readonly", "drive.readonly"),
		one("drive_file", "drive.file"),
		one("drive_full", "drive"),
		one("drive_appdata", "drive.appdata"),
		one("drive_metadata", "drive.metadata"),
		one("drive_metadata_readonly", "drive.metadata.readonly"),
		one("drive_photos_readonly", "drive.photos.readonly"),
		one("drive_scripts", "drive.scripts"),
		one("gmail_readonly", "gmail.readonly"),
		one("gmail_send", "gmail.send"),
		one("gmail_compose", "gmail.compose"),
		one("gmail_modify", "gmail.modify"),
		one("gmail_labels", "gmail.labels"),
		one("gmail_full", "mail.google.com"),
		one("gmail_insert", "gmail.insert"),
		one("gmail_metadata", "gmail.metadata"),
		one("gmail_settings_basic", "gmail.settings.basic"),
		one("gmail_settings_sharing", "gmail.settings.sharing"),
		one("calendar_readonly", "calendar.readonly"),
		one("calendar_events", "calendar.events"),
		one("calendar_full", "calendar"),
		one("calendar_settings_readonly", "calendar.settings.readonly"),
		one("docs_readonly", "documents.readonly"),
		one("docs_full", "documents"),
		one("sheets_readonly", "spreadsheets.readonly"),
		one("sheets_full", "spreadsheets"),
		one("chat_messages_readonly", "chat.messages.readonly"),
		one("chat_messages", "chat.messages"),
		one("chat_spaces", "chat.spaces"),
		one("chat_memberships_readonly", "chat.memberships.readonly"),
		one("chat_memberships", "chat.memberships"),
		one("forms_body", "forms.body"),
		one("forms_body_readonly", "forms.body.readonly"),
		one("forms_responses_readonly", "forms.responses.readonly"),
		one("slides_full", "presentations"),
		one("slides_readonly", "presentations.readonly"),
		one("photos_readonly", "photoslibrary.readonly"),
		one("photos_appendonly", "photoslibrary.appendonly"),
		one("photos_full", "photoslibrary"),
		one("photos_readonly_appcreated", "photoslibrary.readonly.appcreateddata"),
		one("photos_edit_appcreated", "photoslibrary.edit.appcreateddata"),
		one("people_readonly", "contacts.readonly"),
		one("people_contacts", "contacts"),
		one("people_directory_readonly", "directory.readonly"),
		one("admin_users", "admin.directory.user"),
		one("admin_groups", "admin.directory.group"),
		one("admin_roles", "admin.directory.rolemanagement"),
		one("admin_orgunit", "admin.directory.orgunit"),
		one("tasks_readonly", "tasks.readonly"),
		one("tasks_full", "tasks"),
		one("script_projects", "script.projects"),
		one("script_deployments", "script.deployments"),

		// Hand-written short names of the older scope table.
		one("drive_read", "drive.readonly"),
		one("gmail_read", "gmail.readonly"),
		one("calendar_read", "calendar.readonly"),
		one("calendar_settings_read", "calendar.settings.readonly"),
		one("docs_read", "documents.readonly"),
		one("docs_write", "documents"),
		one("sheets_read", "spreadsheets.readonly"),
		one("sheets_write", "spreadsheets"),
		one("chat_read", "chat.messages.readonly"),
		one("chat_write", "chat.messages"),
		one("forms_read", "forms.body.readonly"),
		one("forms_responses_read", "forms.responses.readonly"),
		one("slides_read", "presentations.readonly"),
		one("photos_read", "photoslibrary.readonly"),
		one("photos_append", "photoslibrary.appendonly"),
		one("photoslibrary_read", "photoslibrary.readonly"),
		one("photoslibrary_append", "photoslibrary.appendonly"),
		one("photoslibrary_full", "photoslibrary"),
		one("photoslibrary_readonly_appcreated", "photoslibrary.readonly.appcreateddata"),
		one("photoslibrary_edit_appcreated", "photoslibrary.edit.appcreateddata"),
		one("tasks_read", "tasks.readonly"),

		// Service names, meaning the service's default scopes there.
		{name: "drive", targets: []string{"drive.file", "drive.readonly"}, modern: "drive_basic"},
		{name: "gmail", targets: []string{"gmail.readonly", "gmail.send", "gmail.compose", "gmail.modify",
			"gmail.labels", "gmail.settings.basic", "gmail.settings.sharing"}, modern: "gmail_basic"},
		{name: "calendar", targets: []string{"calendar.readonly", "calendar.events", "calendar"}, modern: "calendar_basic"},
		{name: "docs", targets: []string{"documents.readonly", "documents"}, modern: "docs_basic"},
		{name: "sheets", targets: []string{"spreadsheets.readonly", "spreadsheets"}, modern: "sheets_basic"},
		{name: "chat", targets: []string{"chat.messages.readonly", "chat.messages"}, modern: "chat_basic"},
		{name: "forms", targets: []string{"forms.body", "forms.body.readonly", "forms.responses.readonly"}, modern: "forms_basic"},
		{name: "slides", targets: []string{"presentations", "presentations.readonly"}, modern: "slides_basic"},
		{name: "photos", targets: []string{"photoslibrary.readonly", "photoslibrary.appendonly"}, modern: "photos_basic"},
		{name: "photoslibrary", targets: []string{"photoslibrary.readonly", "photoslibrary.appendonly"}, modern: "photos_basic"},
		{name: "tasks", targets: []string{"tasks.readonly", "tasks"}, modern: "tasks_basic"},

		// The set the Python server requested at every login.
		{name: "oauth_comprehensive", modern: groupComplete, targets: []string{
			"userinfo.email", "userinfo.profile", "openid",
			"drive", "drive.readonly", "drive.file",
			"documents.readonly", "documents",
			"gmail.readonly", "gmail.send", "gmail.compose", "gmail.modify", "gmail.labels",
			"gmail.settings.basic", "gmail.settings.sharing",
			"chat.messages.readonly", "chat.messages", "chat.spaces", "chat.memberships.readonly", "chat.memberships",
			"spreadsheets.readonly", "spreadsheets",
			"forms.body", "forms.body.readonly", "forms.responses.readonly",
			"presentations", "presentations.readonly",
			"photoslibrary.readonly", "photoslibrary.appendonly", "photoslibrary",
			"calendar.readonly", "calendar.events", "calendar",
			"tasks.readonly", "tasks",
			"contacts.readonly", "contacts", "directory.readonly",
		}},
	}
}
