package scopes

// authPrefix is the common prefix of Google's OAuth scope URLs. A scope's short name is
// its URL without this prefix.
const authPrefix = "https://www.googleapis.com/auth/"

// spec is one row of the scope table. Every cross reference (implies, narrow, sameAs)
// names another row by its short name; New turns them into URLs.
type spec struct {
	name     string   // short name, e.g. "drive.readonly"
	url      string   // only when it is not authPrefix+name (bare OpenID scopes, Gmail's full scope)
	service  string   // service ID
	readOnly bool     // grants no way to change anything
	desc     string   // for a consent page: what the person allows
	implies  []string // scopes directly implied; New follows them transitively
	narrow   string   // the read-only scope that takes this one's place under --read-only
	sameAs   string   // the scope Google treats as the very same grant
}

func (s spec) fullURL() string {
	if s.url != "" {
		return s.url
	}
	return authPrefix + s.name
}

// scopeTable returns every scope gwmcp knows, grouped by service. A function rather than a
// package variable, so nothing at package level can be changed.
//
// Implication is conservative: a scope implies another only when every API call the other
// allows is also allowed by it. Over-claiming would let a tool run and then fail at
// Google with 403; under-claiming only costs one extra consent.
func scopeTable() []spec {
	return []spec{
		// Sign-in (OpenID Connect). Google answers a request for "email" or "profile" with
		// the userinfo.* URL, so the two spellings are the same grant.
		{name: "openid", url: "openid", service: svcIdentity, readOnly: true,
			desc: "Associate you with your personal info on Google (sign in)"},
		{name: "email", url: "email", service: svcIdentity, readOnly: true, sameAs: "userinfo.email",
			desc: "See the primary email address of your Google Account"},
		{name: "profile", url: "profile", service: svcIdentity, readOnly: true, sameAs: "userinfo.profile",
			desc: "See your personal info, such as your name and profile picture"},
		{name: "userinfo.email", service: svcIdentity, readOnly: true,
			desc: "See the primary email address of your Google Account"},
		{name: "userinfo.profile", service: svcIdentity, readOnly: true,
			desc: "See your personal info, such as your name and profile picture"},

		// Google Drive.
		{name: "drive", service: svcDrive, narrow: "drive.readonly",
			implies: []string{"drive.readonly", "drive.file", "drive.metadata"},
			desc:    "See, create, change and delete all the files in your Google Drive"},
		{name: "drive.readonly", service: svcDrive, readOnly: true,
			implies: []string{"drive.metadata.readonly"},
			desc:    "See and download all the files in your Google Drive"},
		{name: "drive.file", service: svcDrive,
			desc: "See, create, change and delete only the Drive files you use with this app"},
		{name: "drive.metadata", service: svcDrive, narrow: "drive.metadata.readonly",
			implies: []string{"drive.metadata.readonly"},
			desc:    "See and change information about the files in your Drive, not their content"},
		{name: "drive.metadata.readonly", service: svcDrive, readOnly: true,
			desc: "See information about the files in your Drive, not their content"},
		{name: "drive.appdata", service: svcDrive,
			desc: "Keep this app's own configuration data in your Google Drive"},
		{name: "drive.photos.readonly", service: svcDrive, readOnly: true,
			desc: "See the photos, videos and albums in your Google Photos through Drive"},
		{name: "drive.scripts", service: svcDrive,
			desc: "Change the behaviour of your Google Apps Script scripts"},

		// Gmail. Its full-access scope is the one URL outside googleapis.com.
		{name: "mail.google.com", url: "https://mail.google.com/", service: svcGmail, narrow: "gmail.readonly",
			implies: []string{"gmail.modify", "gmail.readonly", "gmail.metadata", "gmail.compose", "gmail.send",
				"gmail.insert", "gmail.labels", "gmail.settings.basic", "gmail.settings.sharing"},
			desc: "Read, write, send and permanently delete all your email in Gmail"},
		{name: "gmail.modify", service: svcGmail, narrow: "gmail.readonly",
			implies: []string{"gmail.readonly", "gmail.compose", "gmail.insert", "gmail.labels"},
			desc:    "Read, write and send email in Gmail, without permanent deletion"},
		{name: "gmail.readonly", service: svcGmail, readOnly: true,
			implies: []string{"gmail.metadata"},
			desc:    "Read your email messages and settings in Gmail"},
		{name: "gmail.metadata", service: svcGmail, readOnly: true,
			desc: "See the labels and headers of your Gmail messages, not their bodies"},
		{name: "gmail.compose", service: svcGmail,
			implies: []string{"gmail.send"},
			desc:    "Manage drafts and send email in Gmail"},
		{name: "gmail.send", service: svcGmail,
			desc: "Send email on your behalf"},
		{name: "gmail.insert", service: svcGmail,
			desc: "Add messages to your Gmail mailbox"},
		{name: "gmail.labels", service: svcGmail,
			desc: "See and change your Gmail labels"},
		{name: "gmail.settings.basic", service: svcGmail,
			desc: "See and change your Gmail settings and filters"},
		{name: "gmail.settings.sharing", service: svcGmail,
			desc: "Manage sensitive Gmail settings: forwarding, send-as aliases and delegates"},

		// Google Calendar.
		{name: "calendar", service: svcCalendar, narrow: "calendar.readonly",
			implies: []string{"calendar.readonly", "calendar.events", "calendar.calendarlist"},
			desc:    "See, change, share and permanently delete all the calendars you can access"},
		{name: "calendar.readonly", service: svcCalendar, readOnly: true,
			implies: []string{"calendar.events.readonly", "calendar.settings.readonly", "calendar.calendarlist.readonly"},
			desc:    "See and download any calendar you can access"},
		{name: "calendar.events", service: svcCalendar, narrow: "calendar.events.readonly",
			implies: []string{"calendar.events.readonly"},
			desc:    "See and change events on all your calendars"},
		{name: "calendar.events.readonly", service: svcCalendar, readOnly: true,
			desc: "See events on all your calendars"},
		{name: "calendar.settings.readonly", service: svcCalendar, readOnly: true,
			desc: "See your Google Calendar settings"},
		{name: "calendar.calendarlist", service: svcCalendar, narrow: "calendar.calendarlist.readonly",
			implies: []string{"calendar.calendarlist.readonly"},
			desc:    "See, add and remove the calendars you subscribe to"},
		{name: "calendar.calendarlist.readonly", service: svcCalendar, readOnly: true,
			desc: "See the list of calendars you subscribe to"},

		// Google Docs.
		{name: "documents", service: svcDocs, narrow: "documents.readonly",
			implies: []string{"documents.readonly"},
			desc:    "See, create and change all the Google Docs documents you can access"},
		{name: "documents.readonly", service: svcDocs, readOnly: true,
			desc: "See all the Google Docs documents you can access"},

		// Google Sheets.
		{name: "spreadsheets", service: svcSheets, narrow: "spreadsheets.readonly",
			implies: []string{"spreadsheets.readonly"},
			desc:    "See, create, change and delete all your Google Sheets spreadsheets"},
		{name: "spreadsheets.readonly", service: svcSheets, readOnly: true,
			desc: "See all your Google Sheets spreadsheets"},

		// Google Slides.
		{name: "presentations", service: svcSlides, narrow: "presentations.readonly",
			implies: []string{"presentations.readonly"},
			desc:    "See, create, change and delete all your Google Slides presentations"},
		{name: "presentations.readonly", service: svcSlides, readOnly: true,
			desc: "See all your Google Slides presentations"},

		// Google Forms.
		{name: "forms.body", service: svcForms, narrow: "forms.body.readonly",
			implies: []string{"forms.body.readonly"},
			desc:    "See, change, create and delete all your Google Forms"},
		{name: "forms.body.readonly", service: svcForms, readOnly: true,
			desc: "See all your Google Forms"},
		{name: "forms.responses.readonly", service: svcForms, readOnly: true,
			desc: "See all the responses to your Google Forms"},

		// Google Chat.
		{name: "chat.messages", service: svcChat, narrow: "chat.messages.readonly",
			implies: []string{"chat.messages.readonly", "chat.messages.create"},
			desc:    "See, send, change and delete your messages in Google Chat"},
		{name: "chat.messages.readonly", service: svcChat, readOnly: true,
			desc: "See messages in your Google Chat conversations"},
		{name: "chat.messages.create", service: svcChat,
			desc: "Send messages in Google Chat"},
		{name: "chat.spaces", service: svcChat, narrow: "chat.spaces.readonly",
			implies: []string{"chat.spaces.readonly", "chat.spaces.create"},
			desc:    "Create and change your Google Chat spaces and conversations"},
		{name: "chat.spaces.readonly", service: svcChat, readOnly: true,
			desc: "See your Google Chat spaces and conversations"},
		{name: "chat.spaces.create", service: svcChat,
			desc: "Create new Google Chat spaces and conversations"},
		{name: "chat.memberships", service: svcChat, narrow: "chat.memberships.readonly",
			implies: []string{"chat.memberships.readonly"},
			desc:    "See, add and remove members of your Google Chat spaces"},
		{name: "chat.memberships.readonly", service: svcChat, readOnly: true,
			desc: "See who is in your Google Chat spaces"},

		// Google Contacts (People API).
		{name: "contacts", service: svcPeople, narrow: "contacts.readonly",
			implies: []string{"contacts.readonly"},
			desc:    "See, change, download and delete your contacts"},
		{name: "contacts.readonly", service: svcPeople, readOnly: true,
			desc: "See and download your contacts"},
		{name: "contacts.other.readonly", service: svcPeople, readOnly: true,
			desc: "See and download the people you interact with but have not saved as contacts"},
		{name: "directory.readonly", service: svcPeople, readOnly: true,
			desc: "See and download your organization's Google Workspace directory"},

		// Google Tasks.
		{name: "tasks", service: svcTasks, narrow: "tasks.readonly",
			implies: []string{"tasks.readonly"},
			desc:    "Create, change, organize and delete all your tasks"},
		{name: "tasks.readonly", service: svcTasks, readOnly: true,
			desc: "See your tasks"},

		// Google Photos (Library API).
		{name: "photoslibrary", service: svcPhotos, narrow: "photoslibrary.readonly",
			implies: []string{"photoslibrary.readonly", "photoslibrary.appendonly"},
			desc:    "See, upload and organize items in your Google Photos library"},
		{name: "photoslibrary.readonly", service: svcPhotos, readOnly: true,
			implies: []string{"photoslibrary.readonly.appcreateddata"},
			desc:    "See your Google Photos library"},
		{name: "photoslibrary.appendonly", service: svcPhotos,
			desc: "Add photos and videos to your Google Photos library"},
		{name: "photoslibrary.readonly.appcreateddata", service: svcPhotos, readOnly: true,
			desc: "See the photos, videos and albums this app created in your Google Photos"},
		{name: "photoslibrary.edit.appcreateddata", service: svcPhotos,
			desc: "Change the photos, videos and albums this app created in your Google Photos"},

		// Google Apps Script.
		{name: "script.projects", service: svcScript, narrow: "script.projects.readonly",
			implies: []string{"script.projects.readonly"},
			desc:    "Create and change your Google Apps Script projects"},
		{name: "script.projects.readonly", service: svcScript, readOnly: true,
			desc: "See your Google Apps Script projects"},
		{name: "script.deployments", service: svcScript, narrow: "script.deployments.readonly",
			implies: []string{"script.deployments.readonly"},
			desc:    "Create and change your Google Apps Script deployments"},
		{name: "script.deployments.readonly", service: svcScript, readOnly: true,
			desc: "See your Google Apps Script deployments"},
		{name: "script.metrics", service: svcScript, readOnly: true,
			desc: "See the metrics of your Google Apps Script projects"},
		{name: "script.processes", service: svcScript, readOnly: true,
			desc: "See your Google Apps Script processes"},

		// Admin SDK Directory API (Google Workspace administrators only).
		{name: "admin.directory.user", service: svcAdmin, narrow: "admin.directory.user.readonly",
			implies: []string{"admin.directory.user.readonly"},
			desc:    "See and manage the user accounts of your domain"},
		{name: "admin.directory.user.readonly", service: svcAdmin, readOnly: true,
			desc: "See the user accounts of your domain"},
		{name: "admin.directory.group", service: svcAdmin, narrow: "admin.directory.group.readonly",
			implies: []string{"admin.directory.group.readonly", "admin.directory.group.member"},
			desc:    "See and manage the groups of your domain and their members"},
		{name: "admin.directory.group.readonly", service: svcAdmin, readOnly: true,
			implies: []string{"admin.directory.group.member.readonly"},
			desc:    "See the groups of your domain and their members"},
		{name: "admin.directory.group.member", service: svcAdmin, narrow: "admin.directory.group.member.readonly",
			implies: []string{"admin.directory.group.member.readonly"},
			desc:    "See and manage the members of the groups of your domain"},
		{name: "admin.directory.group.member.readonly", service: svcAdmin, readOnly: true,
			desc: "See the members of the groups of your domain"},
		{name: "admin.directory.orgunit", service: svcAdmin, narrow: "admin.directory.orgunit.readonly",
			implies: []string{"admin.directory.orgunit.readonly"},
			desc:    "See and manage the organizational units of your domain"},
		{name: "admin.directory.orgunit.readonly", service: svcAdmin, readOnly: true,
			desc: "See the organizational units of your domain"},
		{name: "admin.directory.rolemanagement", service: svcAdmin, narrow: "admin.directory.rolemanagement.readonly",
			implies: []string{"admin.directory.rolemanagement.readonly"},
			desc:    "See and manage the administrator roles of your domain"},
		{name: "admin.directory.rolemanagement.readonly", service: svcAdmin, readOnly: true,
			desc: "See the administrator roles of your domain"},
	}
}
