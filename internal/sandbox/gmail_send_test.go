package sandbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
)

// rfc822 builds a message from header lines and a text body.
func gmRFC822(body string, headers ...string) []byte {
	return []byte(strings.Join(headers, "\r\n") + "\r\n\r\n" + body + "\r\n")
}

func gmRaw(b []byte) *gmail.Message { return &gmail.Message{Raw: base64.URLEncoding.EncodeToString(b)} }

var gmMsgIDPattern = regexp.MustCompile(`^<[^<>@\s]+@[^<>@\s]+>$`)

func TestGmailSendAndDeliver(t *testing.T) {
	h := newHarness(t)
	svc := h.gmailClient(alice, gmSend)
	before := map[string]int{}
	for _, who := range []string{bob, gmCarol, gmDave} {
		before[who] = len(h.sb.GmailMessages(who))
	}
	raw := gmRFC822("Hi both, the budget is attached in spirit.",
		"To: Bob Nakamura <bob@sandbox.example>", "Cc: carol@sandbox.example, outsider@elsewhere.example",
		"Bcc: dave@consumer.example", "Subject: Budget 2027")
	sent, err := svc.Users.Messages.Send("me", gmRaw(raw)).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sent.LabelIds, []string{"SENT"}) || sent.Id == "" || sent.ThreadId != sent.Id {
		t.Fatalf("send returned %+v", sent)
	}
	mine := h.sb.GmailSent(alice)[0]
	if mine.ID != sent.Id || mine.Header("From") != `"Alice Martin" <alice@sandbox.example>` ||
		mine.Header("Bcc") != "dave@consumer.example" || mine.Header("Date") == "" ||
		!gmMsgIDPattern.MatchString(mine.Header("Message-ID")) {
		t.Fatalf("sent copy headers %v", mine.Headers)
	}
	for _, who := range []string{bob, gmCarol, gmDave} {
		box := h.sb.GmailMessages(who)
		if len(box) != before[who]+1 {
			t.Fatalf("%s got %d new messages", who, len(box)-before[who])
		}
		got := box[0]
		if got.Header("Subject") != "Budget 2027" || !got.HasLabel("INBOX") || !got.HasLabel("UNREAD") ||
			got.HasLabel("SENT") || got.Header("Bcc") != "" || got.Header("Message-ID") != mine.Header("Message-ID") ||
			got.Header("Delivered-To") != who {
			t.Fatalf("%s's copy: labels %v headers %v", who, got.LabelIDs, got.Headers)
		}
	}
	// The recipient sees it through the API too.
	bobSvc := h.gmailClient(bob, gmRO)
	ids := gmListIDs(t, bobSvc.Users.Messages.List("me").Q("from:alice subject:budget is:unread in:inbox"))
	if len(ids) != 1 {
		t.Fatalf("bob lists %d", len(ids))
	}

	t.Run("upload media", func(t *testing.T) {
		raw := gmRFC822("Sent through /upload/gmail/v1.", "From: alice@sandbox.example", "To: bob@sandbox.example",
			"Subject: Uploaded", "Message-ID: <my-own-id@client.example>")
		m, err := svc.Users.Messages.Send("me", &gmail.Message{}).
			Media(bytes.NewReader(raw), googleapi.ContentType("message/rfc822")).Do()
		if err != nil {
			t.Fatal(err)
		}
		got := h.sb.GmailSent(alice)[0]
		if got.ID != m.Id || got.Header("Subject") != "Uploaded" || got.Header("Message-ID") != "<my-own-id@client.example>" ||
			got.Header("From") != "alice@sandbox.example" {
			t.Fatalf("uploaded message %v", got.Headers)
		}
		// google-api-go sniffs the type when none is given; Gmail refuses anything but message/*.
		_, err = svc.Users.Messages.Send("me", &gmail.Message{}).Media(bytes.NewReader(raw)).Do()
		gmWantError(t, err, 400, "badContent", "Valid media types: [message/*]")
	})
	t.Run("From is forced to the sender", func(t *testing.T) {
		raw := gmRFC822("spoof", "From: Mallory <ceo@sandbox.example>", "To: bob@sandbox.example", "Subject: Spoof")
		if _, err := svc.Users.Messages.Send("me", gmRaw(raw)).Do(); err != nil {
			t.Fatal(err)
		}
		got := gmFind(t, h.sb, bob, "Spoof")
		if got.Header("From") != `"Alice Martin" <alice@sandbox.example>` || strings.Contains(string(got.Raw), "ceo@") {
			t.Fatalf("From = %q", got.Header("From"))
		}
	})
	t.Run("to oneself", func(t *testing.T) {
		raw := gmRFC822("note to self", "To: alice@sandbox.example", "Subject: Note to self")
		m, err := svc.Users.Messages.Send("me", gmRaw(raw)).Do()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{"SENT", "INBOX", "UNREAD"} {
			if !gmFind(t, h.sb, alice, "Note to self").HasLabel(l) {
				t.Fatalf("self-sent message lacks %s", l)
			}
		}
		if n := len(gmListIDs(t, h.gmailClient(alice, gmRO).Users.Messages.List("me").Q("subject:(note to self)"))); n != 1 || m.Id == "" {
			t.Fatalf("%d copies", n)
		}
	})
	t.Run("refused", func(t *testing.T) {
		tests := []struct {
			name   string
			msg    *gmail.Message
			status int
			text   string
		}{
			{"no raw", &gmail.Message{}, 400, "'raw' RFC822 payload message string"},
			{"not base64", &gmail.Message{Raw: "***not base64***"}, 400, "Base64 decoding failed"},
			{"no recipient", gmRaw(gmRFC822("x", "Subject: nobody")), 400, "Recipient address required"},
			{"bad To", gmRaw(gmRFC822("x", "To: <<<@@@", "Subject: bad")), 400, "Invalid To header"},
			{"bad header line", gmRaw([]byte("To: bob@sandbox.example\r\nthis is not a header\r\n\r\nbody")), 400, "Invalid"},
			{"unknown thread", &gmail.Message{Raw: gmRaw(gmRFC822("x", "To: bob@sandbox.example")).Raw, ThreadId: "00000000deadbeef"}, 400, "Invalid thread_id value"},
			{"malformed thread", &gmail.Message{Raw: gmRaw(gmRFC822("x", "To: bob@sandbox.example")).Raw, ThreadId: "../../etc"}, 400, "Invalid thread_id value"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := svc.Users.Messages.Send("me", tc.msg).Do()
				gmWantError(t, err, tc.status, "", tc.text)
			})
		}
	})
	t.Run("concurrent sends", func(t *testing.T) {
		n0 := len(h.sb.GmailMessages(bob))
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for i := range 10 {
			wg.Go(func() {
				_, err := svc.Users.Messages.Send("me", gmRaw(gmRFC822("hi", "To: bob@sandbox.example",
					fmt.Sprintf("Subject: Parallel %d", i)))).Do()
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := len(h.sb.GmailMessages(bob)); n != n0+10 {
			t.Fatalf("bob got %d of 10", n-n0)
		}
	})
}

func TestGmailReplyThreading(t *testing.T) {
	h := newHarness(t)
	aliceSvc := h.gmailClient(alice, gmModify)
	bobSvc := h.gmailClient(bob, gmModify)

	first, err := aliceSvc.Users.Messages.Send("me", gmRaw(gmRFC822("Shall we plan the offsite?",
		"To: bob@sandbox.example", "Subject: Offsite 2027"))).Do()
	if err != nil {
		t.Fatal(err)
	}
	origID := h.sb.GmailSent(alice)[0].Header("Message-ID")
	inBob := gmFind(t, h.sb, bob, "Offsite 2027")

	reply := func(threadID, subject, inReplyTo string) *gmail.Message {
		t.Helper()
		headers := []string{"To: alice@sandbox.example", "Subject: " + subject}
		if inReplyTo != "" {
			headers = append(headers, "In-Reply-To: "+inReplyTo, "References: "+inReplyTo)
		}
		m, err := bobSvc.Users.Messages.Send("me", &gmail.Message{Raw: gmRaw(gmRFC822("reply", headers...)).Raw, ThreadId: threadID}).Do()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name             string
		threadID         string
		subject, inReply string
		sameThread       bool
	}{
		{"proper reply", inBob.ThreadID, "Re: Offsite 2027", origID, true},
		{"RE: and Fwd: prefixes fold", inBob.ThreadID, "RE: Fwd: offsite   2027", origID, true},
		{"wrong subject", inBob.ThreadID, "Something else", origID, false},
		{"no References", inBob.ThreadID, "Re: Offsite 2027", "", false},
		{"no threadId", "", "Re: Offsite 2027", origID, false},
		{"references an unknown message", inBob.ThreadID, "Re: Offsite 2027", "<nobody@nowhere.example>", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := reply(tc.threadID, tc.subject, tc.inReply)
			if got := m.ThreadId == inBob.ThreadID; got != tc.sameThread {
				t.Fatalf("sender side: thread %s, original %s, want same=%v", m.ThreadId, inBob.ThreadID, tc.sameThread)
			}
			if !tc.sameThread && m.ThreadId != m.Id {
				t.Fatalf("a new thread's id should be its first message's id")
			}
			// Alice's copy threads by her own mail: References + subject, no threadId needed.
			got := h.sb.GmailMessages(alice)[0]
			wantAlice := tc.inReply == origID && subjectKey(tc.subject) == "offsite 2027"
			if (got.ThreadID == first.ThreadId) != wantAlice {
				t.Fatalf("receiver side: thread %s, original %s, want same=%v", got.ThreadID, first.ThreadId, wantAlice)
			}
		})
	}
	th, err := aliceSvc.Users.Threads.Get("me", first.ThreadId).Format("metadata").MetadataHeaders("Subject").Do()
	if err != nil || len(th.Messages) != 4 { // the original and the three replies that qualify for alice
		t.Fatalf("alice's thread has %d messages (%v)", len(th.Messages), err)
	}
}

func TestGmailDraftsLifecycle(t *testing.T) {
	h := newHarness(t)
	svc := h.gmailClient(alice, gmCompose)

	d, err := svc.Users.Drafts.Create("me", &gmail.Draft{Message: gmRaw(gmRFC822("first version",
		"To: carol@sandbox.example", "Subject: Draft plan"))}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if d.Id == "" || d.Message == nil || !slices.Equal(d.Message.LabelIds, []string{"DRAFT"}) {
		t.Fatalf("created %+v", d)
	}
	if got := gmFind(t, h.sb, alice, "Draft plan"); got.DraftID != d.Id || got.Header("From") == "" {
		t.Fatalf("draft message %+v", got)
	}
	list, err := svc.Users.Drafts.List("me").Do()
	if err != nil || len(list.Drafts) != 1 || list.Drafts[0].Id != d.Id || list.Drafts[0].Message.Id != d.Message.Id {
		t.Fatalf("drafts.list = %+v, %v", list, err)
	}
	if l, _ := svc.Users.Drafts.List("me").Q("subject:nothing-like-it").Do(); len(l.Drafts) != 0 {
		t.Fatal("drafts.list ignores q")
	}
	got, err := svc.Users.Drafts.Get("me", d.Id).Do()
	if err != nil || got.Message.Payload == nil || gmPartData(t, got.Message.Payload) != "first version\r\n" {
		t.Fatalf("drafts.get = %+v, %v", got, err)
	}
	// A draft is not in the inbox or in in:sent, but in:drafts.
	ro := h.gmailClient(alice, gmRO)
	if ids := gmListIDs(t, ro.Users.Messages.List("me").Q("in:drafts")); len(ids) != 1 || ids[0] != d.Message.Id {
		t.Fatalf("in:drafts = %v", ids)
	}

	up, err := svc.Users.Drafts.Update("me", d.Id, &gmail.Draft{Message: gmRaw(gmRFC822("second version",
		"To: carol@sandbox.example", "Cc: bob@sandbox.example", "Subject: Draft plan v2"))}).Do()
	if err != nil || up.Id != d.Id || up.Message.Id == d.Message.Id {
		t.Fatalf("drafts.update = %+v, %v", up, err)
	}
	if _, err := ro.Users.Messages.Get("me", d.Message.Id).Do(); err == nil {
		t.Fatal("the replaced draft message still exists")
	}
	// Update via the upload path.
	up, err = svc.Users.Drafts.Update("me", d.Id, &gmail.Draft{}).Media(bytes.NewReader(gmRFC822("third version",
		"To: carol@sandbox.example", "Cc: bob@sandbox.example", "Subject: Draft plan v3")), googleapi.ContentType("message/rfc822")).Do()
	if err != nil {
		t.Fatal(err)
	}

	sent, err := svc.Users.Drafts.Send("me", &gmail.Draft{Id: d.Id}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if sent.Id != up.Message.Id || !slices.Contains(sent.LabelIds, "SENT") || slices.Contains(sent.LabelIds, "DRAFT") {
		t.Fatalf("drafts.send returned %+v", sent)
	}
	_, err = svc.Users.Drafts.Get("me", d.Id).Do()
	gmWantError(t, err, 404, "notFound", "")
	for _, who := range []string{gmCarol, bob} {
		m := gmFind(t, h.sb, who, "Draft plan v3")
		if !m.HasLabel("INBOX") || !gmMsgIDPattern.MatchString(m.Header("Message-ID")) {
			t.Fatalf("%s's copy %v", who, m.LabelIDs)
		}
	}

	// Created through the upload path, then deleted for good.
	d2, err := svc.Users.Drafts.Create("me", &gmail.Draft{}).Media(bytes.NewReader(gmRFC822("tmp", "Subject: Scratch")),
		googleapi.ContentType("message/rfc822")).Do()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Users.Drafts.Delete("me", d2.Id).Do(); err != nil {
		t.Fatal(err)
	}
	err = svc.Users.Drafts.Delete("me", d2.Id).Do()
	gmWantError(t, err, 404, "notFound", "")
	if _, err := ro.Users.Messages.Get("me", d2.Message.Id).Do(); err == nil {
		t.Fatal("a deleted draft's message remains")
	}

	// A draft without recipients saves, but cannot be sent.
	d3, err := svc.Users.Drafts.Create("me", &gmail.Draft{Message: gmRaw(gmRFC822("x", "Subject: Nobody yet"))}).Do()
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Users.Drafts.Send("me", &gmail.Draft{Id: d3.Id}).Do()
	gmWantError(t, err, 400, "invalidArgument", "Recipient address required")
	_, err = svc.Users.Drafts.Send("me", &gmail.Draft{Id: "r-nonexistent"}).Do()
	gmWantError(t, err, 404, "notFound", "")
	_, err = svc.Users.Drafts.Send("me", &gmail.Draft{}).Do()
	gmWantError(t, err, 400, "invalidArgument", "")
	_, err = svc.Users.Drafts.Create("me", &gmail.Draft{}).Do()
	gmWantError(t, err, 400, "invalidArgument", "'raw' RFC822")

	// drafts.send may carry a replacement message.
	d4, _ := svc.Users.Drafts.Create("me", &gmail.Draft{Message: gmRaw(gmRFC822("x", "Subject: Will change"))}).Do()
	if _, err := svc.Users.Drafts.Send("me", &gmail.Draft{Id: d4.Id, Message: gmRaw(gmRFC822("final",
		"To: bob@sandbox.example", "Subject: Changed at send"))}).Do(); err != nil {
		t.Fatal(err)
	}
	gmFind(t, h.sb, bob, "Changed at send")

	// gmail.send alone cannot touch drafts.
	_, err = h.gmailClient(alice, gmSend).Users.Drafts.List("me").Do()
	gmWantError(t, err, 403, "insufficientPermissions", "")
}
