package sandbox

import (
	"slices"
	"strings"
	"testing"
)

func TestGmailProfileAndSeed(t *testing.T) {
	h := newHarness(t)
	svc := h.gmailClient(alice, gmModify)
	p, err := svc.Users.GetProfile("me").Do()
	if err != nil {
		t.Fatal(err)
	}
	if p.EmailAddress != alice || p.MessagesTotal != 40 || p.ThreadsTotal < 30 || p.HistoryId == 0 {
		t.Fatalf("profile = %+v", p)
	}
	// The seed is deterministic: a second sandbox on the same clock has the same ids.
	h2 := newHarness(t)
	a, b := h.sb.GmailMessages(alice), h2.sb.GmailMessages(alice)
	if len(a) != 40 || len(a) != len(b) {
		t.Fatalf("%d and %d messages", len(a), len(b))
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].ThreadID != b[i].ThreadID || string(a[i].Raw) != string(b[i].Raw) {
			t.Fatalf("message %d differs: %s/%s", i, a[i].ID, b[i].ID)
		}
	}
	for _, who := range []string{bob, gmCarol, gmDave} {
		if n := len(h.sb.GmailMessages(who)); n < 2 {
			t.Errorf("%s has %d seeded messages", who, n)
		}
	}
	// The Q3 thread is one thread of three, linked by In-Reply-To and References.
	q3 := gmFind(t, h.sb, alice, "Q3 Launch plan")
	var thread []GmailMessageInfo
	for _, m := range h.sb.GmailMessages(alice) {
		if m.ThreadID == q3.ThreadID {
			thread = append(thread, m)
		}
	}
	if len(thread) != 3 || thread[0].Header("In-Reply-To") == "" ||
		!strings.Contains(thread[0].Header("References"), q3.Header("Message-ID")) {
		t.Fatalf("Q3 thread = %d messages; newest In-Reply-To %q References %q", len(thread),
			thread[0].Header("In-Reply-To"), thread[0].Header("References"))
	}
	if q3.ThreadID != q3.ID {
		t.Errorf("thread id %s is not the first message's id %s", q3.ThreadID, q3.ID)
	}
}

func TestGmailSearchOperators(t *testing.T) {
	h := newHarness(t)
	svc := h.gmailClient(alice, gmModify)
	builds := func() []string {
		var s []string
		for n := 101; n <= 116; n++ {
			if n == 110 {
				s = append(s, "Build #110 failed")
				continue
			}
			s = append(s, "Build #"+gmItoa(n)+" passed")
		}
		return s
	}
	weekly := []string{"Sandbox Weekly #12: what's new", "Sandbox Weekly #13: what's new",
		"Sandbox Weekly #14: what's new", "Sandbox Weekly #15: what's new"}
	q3 := []string{"Q3 Launch plan", "Re: Q3 Launch plan", "Re: Q3 Launch plan"}
	tests := []struct {
		q         string
		labelIDs  []string
		spamTrash bool
		want      []string
	}{
		{q: "from:bob", want: []string{"Q3 Launch plan", "Re: Q3 Launch plan", "Lunch on Friday?"}},
		{q: "from:bob@sandbox.example", want: []string{"Q3 Launch plan", "Re: Q3 Launch plan", "Lunch on Friday?"}},
		{q: "from:bob in:anywhere", want: []string{"Q3 Launch plan", "Re: Q3 Launch plan", "Lunch on Friday?", "Old lunch plans"}},
		{q: "from:bob", spamTrash: true, want: []string{"Q3 Launch plan", "Re: Q3 Launch plan", "Lunch on Friday?", "Old lunch plans"}},
		{q: "from:me", want: []string{"Re: Q3 Launch plan", "Re: Design review notes", "Re: Coffee next week?", "Offsite agenda"}},
		{q: "in:sent", want: []string{"Re: Q3 Launch plan", "Re: Design review notes", "Re: Coffee next week?", "Offsite agenda"}},
		{q: "to:carol", want: append(slices.Clone(q3), "Re: Design review notes", "Offsite agenda", "Welcome to Sandbox Workspace")},
		{q: "cc:carol", want: q3},
		{q: "subject:launch", want: q3},
		{q: "subject:(q3 plan)", want: q3},
		{q: `subject:"launch plan"`, want: q3},
		{q: `"launch checklist"`, want: []string{"Re: Q3 Launch plan"}},
		{q: `"checklist launch"`, want: nil},
		{q: "label:projects", want: q3},
		{q: "label:Receipts", want: []string{"March invoice and usage report", "Your receipt #1001", "Your receipt #1002", "Your receipt #1003"}},
		{q: "label:nosuchlabel", want: nil},
		{q: "in:trash", want: []string{"Old lunch plans"}},
		{q: "in:spam", want: []string{"You have won a prize!!!"}},
		{q: "label:spam", want: []string{"You have won a prize!!!"}},
		{q: "is:unread", want: []string{"Build #115 passed", "Build #116 passed", "Sandbox Weekly #15: what's new",
			"Re: Q3 Launch plan", "Réunion à Zürich — ordre du jour", "Lunch on Friday?", "Security alert: new sign-in"}},
		{q: "is:starred", want: []string{"March invoice and usage report", "Team photo"}},
		{q: "is:important", want: []string{"Build #110 failed", "Re: Q3 Launch plan", "Security alert: new sign-in"}},
		{q: "is:important is:read", want: []string{"Build #110 failed"}},
		{q: "has:attachment", want: []string{"March invoice and usage report", "Team photo"}},
		{q: "filename:pdf", want: []string{"March invoice and usage report"}},
		{q: "filename:usage-march.csv", want: []string{"March invoice and usage report"}},
		{q: "filename:png", want: []string{"Team photo"}},
		{q: "newer_than:3d", want: []string{"Lunch on Friday?", "Security alert: new sign-in", "Re: Coffee next week?",
			"Coffee next week?", "Build #116 passed", "Build #115 passed", "Sandbox Weekly #15: what's new"}},
		{q: "older_than:1y", want: []string{"Happy New Year!"}},
		{q: "older_than:2m", want: []string{"Happy New Year!"}},
		{q: "newer_than:2x", want: nil},
		// Dates are midnight PST: 2026-02-28 08:00 UTC to 2026-03-01 08:00 UTC.
		{q: "after:2026/02/28 before:2026/03/01", want: []string{"Re: Coffee next week?", "Build #116 passed", "Sandbox Weekly #15: what's new"}},
		{q: "after:1772265600 before:1772352000", want: []string{"Re: Coffee next week?", "Build #116 passed", "Sandbox Weekly #15: what's new"}},
		{q: "from:bob OR from:carol", want: []string{"Q3 Launch plan", "Re: Q3 Launch plan", "Lunch on Friday?",
			"March invoice and usage report", "Design review notes", "Team photo"}},
		{q: "{from:bob from:carol}", want: []string{"Q3 Launch plan", "Re: Q3 Launch plan", "Lunch on Friday?",
			"March invoice and usage report", "Design review notes", "Team photo"}},
		{q: "from:bob OR from:carol has:attachment", want: []string{"March invoice and usage report", "Team photo"}},
		{q: "from:bob -subject:launch", want: []string{"Lunch on Friday?"}},
		{q: "-from:bob -from:carol -from:ci -from:newsletter -from:receipts -from:me", want: []string{
			"Welcome to Sandbox Workspace", "Happy New Year!", "Réunion à Zürich — ordre du jour", "Coffee next week?",
			"Security alert: new sign-in"}},
		{q: "(from:bob OR from:dave) (ramen OR coffee)", want: []string{"Lunch on Friday?", "Coffee next week?"}},
		{q: "ramen", want: []string{"Lunch on Friday?"}},
		{q: "RAMEN", want: []string{"Lunch on Friday?"}},
		{q: "ram", want: nil}, // whole words, not substrings
		{q: "zürich", want: []string{"Réunion à Zürich — ordre du jour"}},
		{q: "subject:réunion", want: []string{"Réunion à Zürich — ordre du jour"}},
		{q: "déjeuner", want: []string{"Réunion à Zürich — ordre du jour"}},
		{q: "rfc822msgid:<q3-launch-1@mail.sandbox.example>", want: []string{"Q3 Launch plan"}},
		{q: "category:promotions", want: weekly},
		{q: "list:weekly.news.example", want: weekly},
		{q: "subject:build", want: builds()},
		{q: "in:inbox is:unread from:ci", want: []string{"Build #115 passed", "Build #116 passed"}},
		{q: "", labelIDs: []string{"UNREAD", "IMPORTANT"}, want: []string{"Re: Q3 Launch plan", "Security alert: new sign-in"}},
		{q: "from:bob", labelIDs: []string{"Label_1"}, want: []string{"Q3 Launch plan", "Re: Q3 Launch plan"}},
		{q: "", labelIDs: []string{"TRASH"}, want: []string{"Old lunch plans"}},
		{q: "in:anywhere", labelIDs: []string{"STARRED"}, want: []string{"March invoice and usage report", "Team photo"}},
		{q: "tips recipe", want: weekly},
	}
	for _, tc := range tests {
		t.Run(tc.q+"/"+strings.Join(tc.labelIDs, ","), func(t *testing.T) {
			call := svc.Users.Messages.List("me").Q(tc.q).LabelIds(tc.labelIDs...).IncludeSpamTrash(tc.spamTrash)
			got := gmSubjects(t, h.sb, alice, gmListIDs(t, call))
			if want := gmSorted(tc.want...); !slices.Equal(got, want) {
				t.Fatalf("q=%q\n got %q\nwant %q", tc.q, got, want)
			}
		})
	}
}

func gmItoa(n int) string {
	return string(rune('0'+n/100)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}

func TestGmailListPagination(t *testing.T) {
	h := newHarness(t)
	svc := h.gmailClient(alice, gmMail)
	var ids []string
	pages := 0
	token := ""
	for {
		r, err := svc.Users.Messages.List("me").IncludeSpamTrash(true).MaxResults(7).PageToken(token).Do()
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if r.ResultSizeEstimate != 40 || len(r.Messages) > 7 {
			t.Fatalf("page %d: estimate %d, %d messages", pages, r.ResultSizeEstimate, len(r.Messages))
		}
		for _, m := range r.Messages {
			ids = append(ids, m.Id)
			if m.ThreadId == "" {
				t.Fatal("no threadId in the list")
			}
		}
		if token = r.NextPageToken; token == "" {
			break
		}
	}
	all := h.sb.GmailMessages(alice)
	if pages != 6 || len(ids) != 40 {
		t.Fatalf("%d pages, %d ids", pages, len(ids))
	}
	for i, m := range all {
		if ids[i] != m.ID {
			t.Fatalf("position %d: %s, want %s (newest first)", i, ids[i], m.ID)
		}
		if i > 0 && m.InternalDate.After(all[i-1].InternalDate) {
			t.Fatal("not newest first")
		}
	}
	// Default page size 100, cap 500: all 40 on one page either way.
	for _, n := range []int64{0, 1000} {
		r, err := svc.Users.Messages.List("me").IncludeSpamTrash(true).MaxResults(n).Do()
		if err != nil || len(r.Messages) != 40 || r.NextPageToken != "" {
			t.Fatalf("maxResults %d: %v", n, err)
		}
	}
	// No match: no messages field, estimate 0.
	r, err := svc.Users.Messages.List("me").Q("from:nobody-at-all").Do()
	if err != nil || len(r.Messages) != 0 || r.ResultSizeEstimate != 0 {
		t.Fatalf("empty list = %+v, %v", r, err)
	}
	for _, tok := range []string{"garbage!", "bzotMQ", "%%%"} {
		_, err := svc.Users.Messages.List("me").PageToken(tok).Do()
		gmWantError(t, err, 400, "invalidArgument", "pageToken")
	}
	// Threads page the same way.
	tr, err := svc.Users.Threads.List("me").MaxResults(5).Do()
	if err != nil || len(tr.Threads) != 5 || tr.NextPageToken == "" || tr.Threads[0].Snippet == "" {
		t.Fatalf("threads.list = %+v, %v", tr, err)
	}
}
