package sandbox

import (
	"slices"
	"testing"

	"google.golang.org/api/gmail/v1"
)

func TestGmailLabels(t *testing.T) {
	h := newHarness(t)
	svc := h.gmailClient(alice, gmLabels)

	list, err := svc.Users.Labels.List("me").Do()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*gmail.Label{}
	for _, l := range list.Labels {
		byID[l.Id] = l
	}
	for _, id := range []string{"INBOX", "SENT", "DRAFT", "TRASH", "SPAM", "STARRED", "IMPORTANT", "UNREAD", "CATEGORY_SOCIAL"} {
		if byID[id] == nil || byID[id].Type != "system" {
			t.Fatalf("system label %s missing: %+v", id, byID[id])
		}
	}
	if byID["Label_1"] == nil || byID["Label_1"].Name != "Projects" || byID["Label_1"].Type != "user" ||
		byID["Label_1"].Color == nil || byID["Label_2"].Name != "Receipts" {
		t.Fatalf("user labels %+v %+v", byID["Label_1"], byID["Label_2"])
	}
	if byID["INBOX"].MessagesTotal != 0 {
		t.Error("labels.list carries counts; Gmail gives them only on labels.get")
	}

	projects, err := svc.Users.Labels.Get("me", "Label_1").Do()
	if err != nil || projects.MessagesTotal != 3 || projects.ThreadsTotal != 1 || projects.MessagesUnread != 1 || projects.ThreadsUnread != 1 {
		t.Fatalf("labels.get Projects = %+v, %v", projects, err)
	}
	inbox, err := svc.Users.Labels.Get("me", "INBOX").Do()
	if err != nil || inbox.MessagesTotal == 0 || inbox.Name != "INBOX" {
		t.Fatalf("labels.get INBOX = %+v, %v", inbox, err)
	}

	created, err := svc.Users.Labels.Create("me", &gmail.Label{Name: "Clients/Acme", LabelListVisibility: "labelShowIfUnread",
		Color: &gmail.LabelColor{TextColor: "#000000", BackgroundColor: "#fad165"}}).Do()
	if err != nil || created.Id != "Label_3" || created.Type != "user" || created.MessageListVisibility != "show" {
		t.Fatalf("labels.create = %+v, %v", created, err)
	}
	refusals := []struct {
		name   string
		label  *gmail.Label
		status int
		text   string
	}{
		{"duplicate", &gmail.Label{Name: "clients/acme"}, 409, "Label name exists or conflicts"},
		{"duplicate of seeded", &gmail.Label{Name: "PROJECTS"}, 409, "Label name exists or conflicts"},
		{"system name", &gmail.Label{Name: "Inbox"}, 409, "Label name exists or conflicts"},
		{"reserved name", &gmail.Label{Name: "Sent Mail"}, 409, "Label name exists or conflicts"},
		{"empty", &gmail.Label{Name: "  "}, 400, "Invalid label name"},
		{"bad visibility", &gmail.Label{Name: "X", LabelListVisibility: "sometimes"}, 400, "labelListVisibility"},
		{"bad color", &gmail.Label{Name: "Y", Color: &gmail.LabelColor{TextColor: "red", BackgroundColor: "#ffffff"}}, 400, "color"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Users.Labels.Create("me", tc.label).Do()
			gmWantError(t, err, tc.status, "", tc.text)
		})
	}

	// System labels cannot be renamed or deleted.
	_, err = svc.Users.Labels.Patch("me", "INBOX", &gmail.Label{Name: "My inbox"}).Do()
	gmWantError(t, err, 400, "invalidArgument", "Invalid update request")
	_, err = svc.Users.Labels.Update("me", "STARRED", &gmail.Label{Name: "Stars"}).Do()
	gmWantError(t, err, 400, "invalidArgument", "Invalid update request")
	err = svc.Users.Labels.Delete("me", "INBOX").Do()
	gmWantError(t, err, 400, "invalidArgument", "Invalid delete request")

	// Patch changes only what it names; update replaces; renaming onto another name conflicts.
	p, err := svc.Users.Labels.Patch("me", created.Id, &gmail.Label{Name: "Clients/Acme Corp"}).Do()
	if err != nil || p.Name != "Clients/Acme Corp" || p.LabelListVisibility != "labelShowIfUnread" || p.Color == nil {
		t.Fatalf("patch = %+v, %v", p, err)
	}
	u, err := svc.Users.Labels.Update("me", created.Id, &gmail.Label{Name: "Acme"}).Do()
	if err != nil || u.Name != "Acme" || u.Color != nil {
		t.Fatalf("update = %+v, %v", u, err)
	}
	_, err = svc.Users.Labels.Patch("me", created.Id, &gmail.Label{Name: "Receipts"}).Do()
	gmWantError(t, err, 409, "", "Label name exists or conflicts")
	_, err = svc.Users.Labels.Get("me", "Label_404").Do()
	gmWantError(t, err, 404, "notFound", "")

	// Deleting a user label takes it off every message.
	if err := svc.Users.Labels.Delete("me", "Label_1").Do(); err != nil {
		t.Fatal(err)
	}
	for _, m := range h.sb.GmailMessages(alice) {
		if m.HasLabel("Label_1") {
			t.Fatalf("message %s keeps a deleted label", m.ID)
		}
	}
	err = svc.Users.Labels.Delete("me", "Label_1").Do()
	gmWantError(t, err, 404, "notFound", "")
	if got := h.sb.GmailLabels(alice); len(got) != 2 || got[0].Name != "Receipts" || got[1].Name != "Acme" {
		t.Fatalf("GmailLabels = %+v", got)
	}

	// gmail.labels cannot read messages.
	_, err = svc.Users.Messages.List("me").Do()
	gmWantError(t, err, 403, "insufficientPermissions", "")
}

func TestGmailFilters(t *testing.T) {
	h := newHarness(t)
	svc := h.gmailClient(alice, gmSetting)
	list, err := svc.Users.Settings.Filters.List("me").Do()
	if err != nil || len(list.Filter) != 1 || list.Filter[0].Criteria.From != "receipts@store.example" ||
		!slices.Equal(list.Filter[0].Action.AddLabelIds, []string{"Label_2"}) {
		t.Fatalf("seeded filters = %+v, %v", list, err)
	}

	f, err := svc.Users.Settings.Filters.Create("me", &gmail.Filter{
		Criteria: &gmail.FilterCriteria{From: "bob@sandbox.example", Subject: "launch"},
		Action:   &gmail.FilterAction{AddLabelIds: []string{"Label_1", "STARRED"}, RemoveLabelIds: []string{"UNREAD"}},
	}).Do()
	if err != nil || f.Id == "" {
		t.Fatalf("filters.create = %+v, %v", f, err)
	}
	got, err := svc.Users.Settings.Filters.Get("me", f.Id).Do()
	if err != nil || got.Criteria.Subject != "launch" {
		t.Fatalf("filters.get = %+v, %v", got, err)
	}

	refusals := []struct {
		name string
		f    *gmail.Filter
		text string
	}{
		{"no criteria", &gmail.Filter{Action: &gmail.FilterAction{AddLabelIds: []string{"STARRED"}}}, "criteria"},
		{"empty criteria", &gmail.Filter{Criteria: &gmail.FilterCriteria{}, Action: &gmail.FilterAction{AddLabelIds: []string{"STARRED"}}}, "criteria"},
		{"no action", &gmail.Filter{Criteria: &gmail.FilterCriteria{From: "x@y.example"}}, "actions"},
		{"unknown label", &gmail.Filter{Criteria: &gmail.FilterCriteria{From: "x@y.example"},
			Action: &gmail.FilterAction{AddLabelIds: []string{"Label_77"}}}, "Invalid label"},
		{"unverified forward", &gmail.Filter{Criteria: &gmail.FilterCriteria{From: "x@y.example"},
			Action: &gmail.FilterAction{Forward: "evil@attacker.example"}}, "not verified"},
		{"size without comparison", &gmail.Filter{Criteria: &gmail.FilterCriteria{Size: 100},
			Action: &gmail.FilterAction{AddLabelIds: []string{"STARRED"}}}, "size"},
		{"duplicate", &gmail.Filter{Criteria: &gmail.FilterCriteria{From: "bob@sandbox.example", Subject: "launch"},
			Action: &gmail.FilterAction{AddLabelIds: []string{"Label_1", "STARRED"}, RemoveLabelIds: []string{"UNREAD"}}}, "Filter already exists"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Users.Settings.Filters.Create("me", tc.f).Do()
			gmWantError(t, err, 400, "invalidArgument", tc.text)
		})
	}

	// Filters act on arrival.
	bobSvc := h.gmailClient(bob, gmSend)
	for _, subject := range []string{"Launch day", "Lunch again"} {
		if _, err := bobSvc.Users.Messages.Send("me", gmRaw(gmRFC822("hi", "To: alice@sandbox.example", "Subject: "+subject))).Do(); err != nil {
			t.Fatal(err)
		}
	}
	launch := gmFind(t, h.sb, alice, "Launch day")
	if !launch.HasLabel("Label_1") || !launch.HasLabel("STARRED") || launch.HasLabel("UNREAD") || !launch.HasLabel("INBOX") {
		t.Fatalf("filtered message labels %v", launch.LabelIDs)
	}
	if lunch := gmFind(t, h.sb, alice, "Lunch again"); lunch.HasLabel("Label_1") || !lunch.HasLabel("UNREAD") {
		t.Fatalf("unfiltered message labels %v", lunch.LabelIDs)
	}

	if err := svc.Users.Settings.Filters.Delete("me", f.Id).Do(); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Users.Settings.Filters.Get("me", f.Id).Do()
	gmWantError(t, err, 404, "notFound", "")
	err = svc.Users.Settings.Filters.Delete("me", f.Id).Do()
	gmWantError(t, err, 404, "notFound", "")

	// Reading filters works with gmail.readonly; writing needs gmail.settings.basic.
	ro := h.gmailClient(alice, gmRO)
	if _, err := ro.Users.Settings.Filters.List("me").Do(); err != nil {
		t.Fatal(err)
	}
	_, err = h.gmailClient(alice, gmMail).Users.Settings.Filters.Create("me", &gmail.Filter{
		Criteria: &gmail.FilterCriteria{From: "a@b.example"}, Action: &gmail.FilterAction{AddLabelIds: []string{"STARRED"}}}).Do()
	gmWantError(t, err, 403, "insufficientPermissions", "")
}
