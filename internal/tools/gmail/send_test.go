package gmail

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
)

// parseRaw parses a stored message.
func parseRaw(t *testing.T, raw []byte) *mail.Message {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("stored message does not parse: %v\n%s", err, raw)
	}
	return m
}

func TestSend(t *testing.T) {
	env, cs := aliceSession(t, nil)

	t.Run("plain with cc and bcc", func(t *testing.T) {
		var out SendOutput
		toolstest.OK(t, cs, "send_gmail_message", map[string]any{
			"to": []string{"Bob Nakamura <bob@sandbox.example>"}, "cc": []string{carol}, "bcc": []string{dave},
			"subject": "Budget", "body": "Hi Bob,\nthe budget is attached in spirit.\n"}, &out)
		if out.Action != "sent" || out.MessageID == "" || out.ThreadID == "" || out.RecipientCount != 3 {
			t.Fatalf("send = %+v", out)
		}
		sent := byID(t, env, alice, out.MessageID)
		if !sent.HasLabel("SENT") || !strings.Contains(sent.Header("Bcc"), dave) {
			t.Errorf("sender's copy: labels %v, Bcc %q", sent.LabelIDs, sent.Header("Bcc"))
		}
		for _, who := range []string{bob, carol, dave} {
			got := find(t, env, who, "Budget")
			if got.Header("Bcc") != "" {
				t.Errorf("%s sees Bcc %q", who, got.Header("Bcc"))
			}
			wantContains(t, who+"'s body", got.Body, "the budget is attached in spirit.")
			if !got.HasLabel("INBOX") {
				t.Errorf("%s: labels %v", who, got.LabelIDs)
			}
		}
		m := parseRaw(t, sent.Raw)
		if ct, _, _ := mime.ParseMediaType(m.Header.Get("Content-Type")); ct != "text/plain" {
			t.Errorf("Content-Type = %q", m.Header.Get("Content-Type"))
		}
		if m.Header.Get("MIME-Version") != "1.0" || m.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Errorf("headers = %v", m.Header)
		}
	})

	t.Run("html alternative and non-ASCII", func(t *testing.T) {
		var out SendOutput
		toolstest.OK(t, cs, "send_gmail_message", map[string]any{
			"to": []string{"José Ñúñez <jose@partner.example>", bob}, "subject": "Réunion à Zürich — café ☕",
			"body": "Plain café", "html_body": "<p>HTML <b>café</b></p>"}, &out)
		sent := byID(t, env, alice, out.MessageID)
		if got := sent.Header("Subject"); got != "Réunion à Zürich — café ☕" {
			t.Errorf("decoded subject = %q", got)
		}
		m := parseRaw(t, sent.Raw)
		rawSubject := m.Header.Get("Subject")
		if !strings.HasPrefix(rawSubject, "=?UTF-8?") || !isASCII(rawSubject) {
			t.Errorf("raw Subject %q is not RFC 2047 encoded", rawSubject)
		}
		to, err := m.Header.AddressList("To")
		if err != nil || to[0].Name != "José Ñúñez" || !isASCII(m.Header.Get("To")) {
			t.Errorf("To %q → %v, %v", m.Header.Get("To"), to, err)
		}
		ct, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
		if ct != "multipart/alternative" {
			t.Fatalf("Content-Type = %q", ct)
		}
		mr := multipart.NewReader(m.Body, params["boundary"])
		var types []string
		for {
			p, err := mr.NextPart() // decodes quoted-printable
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			types = append(types, p.Header.Get("Content-Type")+"|"+string(b))
		}
		if len(types) != 2 || !strings.HasPrefix(types[0], "text/plain") || !strings.Contains(types[0], "Plain café") ||
			!strings.HasPrefix(types[1], "text/html") || !strings.Contains(types[1], "<b>café</b>") {
			t.Errorf("parts = %q", types)
		}
		wantContains(t, "bob's copy", find(t, env, bob, "Réunion à Zürich — café ☕").Body, "Plain café")
	})

	t.Run("html body", func(t *testing.T) {
		var out SendOutput
		toolstest.OK(t, cs, "send_gmail_message", map[string]any{"to": []string{bob}, "subject": "HTML only",
			"body": "<h1>Title</h1><p>Para &amp; more</p>", "content_type": "html"}, &out)
		m := parseRaw(t, byID(t, env, alice, out.MessageID).Raw)
		ct, _, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
		if ct != "multipart/alternative" {
			t.Errorf("Content-Type = %q", ct)
		}
		wantContains(t, "text rendering", find(t, env, bob, "HTML only").Body, "Title", "Para & more")
	})

	t.Run("default recipient is myself", func(t *testing.T) {
		var out SendOutput
		toolstest.OK(t, cs, "send_gmail_message", map[string]any{"subject": "Note to self", "body": "remember"}, &out)
		m := byID(t, env, alice, out.MessageID)
		if !m.HasLabel("INBOX") || !m.HasLabel("SENT") || out.To[0] != "<alice@sandbox.example>" {
			t.Errorf("to self: labels %v, to %v", m.LabelIDs, out.To)
		}
	})

	t.Run("header injection", func(t *testing.T) {
		var out SendOutput
		toolstest.OK(t, cs, "send_gmail_message", map[string]any{"to": []string{bob},
			"subject": "Hello\r\nBcc: mallory@evil.example", "body": "x"}, &out)
		m := byID(t, env, alice, out.MessageID)
		if m.Header("Bcc") != "" || !strings.Contains(m.Header("Subject"), "Bcc: mallory") {
			t.Errorf("injected header: Bcc %q, Subject %q", m.Header("Bcc"), m.Header("Subject"))
		}
		msg := toolstest.Fails(t, cs, "send_gmail_message", map[string]any{"to": []string{"bob@sandbox.example\r\nBcc: mallory@evil.example"},
			"subject": "x", "body": "y"})
		wantContains(t, "bad address", msg, "not a valid email address")
	})

	t.Run("large message is uploaded", func(t *testing.T) {
		body := strings.Repeat("All work and no play makes Jack a dull boy.\n", (mediaThreshold/44)+1000)
		var out SendOutput
		toolstest.OK(t, cs, "send_gmail_message", map[string]any{"to": []string{bob}, "subject": "Big", "body": body}, &out)
		got := find(t, env, bob, "Big")
		if len(got.Body) < len(body)-10 || out.Action != "sent" {
			t.Errorf("large message arrived with %d bytes of body, sent %d", len(got.Body), len(body))
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		for name, args := range map[string]map[string]any{
			"invalid address":  {"to": []string{"not an address"}, "subject": "x", "body": "y"},
			"bad content_type": {"to": []string{bob}, "subject": "x", "body": "y", "content_type": "rtf"},
			"missing subject":  {"to": []string{bob}, "body": "y"},
		} {
			t.Run(name, func(t *testing.T) { toolstest.Fails(t, cs, "send_gmail_message", args) })
		}
	})

	t.Run("quota is not retried for a send", func(t *testing.T) {
		before := len(env.Sandbox.GmailSent(alice))
		env.Sandbox.FailAPI("gmail", 1, sandbox.APIFailure{Status: 503})
		msg := toolstest.Fails(t, cs, "send_gmail_message", map[string]any{"to": []string{bob}, "subject": "once", "body": "y"})
		wantContains(t, "error", msg, "503")
		if len(env.Sandbox.GmailSent(alice)) != before {
			t.Error("a failed send left a message")
		}
		env.Sandbox.FailAPI("gmail", 1, sandbox.APIFailure{Status: 429})
		wantContains(t, "error", toolstest.Fails(t, cs, "send_gmail_message", map[string]any{"to": []string{bob}, "subject": "once", "body": "y"}), "rate-limiting")
	})
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestReplyThreading proves a reply joins the conversation in the sender's mailbox and in
// every recipient's, with In-Reply-To, References and one "Re: ".
func TestReplyThreading(t *testing.T) {
	env, cs := aliceSession(t, nil)

	t.Run("first reply", func(t *testing.T) {
		orig := find(t, env, alice, "Lunch on Friday?") // bob → alice, no References
		bobsCopy := find(t, env, bob, "Lunch on Friday?")
		var out ReplyOutput
		toolstest.OK(t, cs, "reply_to_gmail_message", map[string]any{"message_id": orig.ID, "body": "Sure, 12:30?"}, &out)
		if out.Action != "sent" || out.ThreadID != orig.ThreadID || out.OriginalMessageID != orig.ID ||
			out.Subject != "Re: Lunch on Friday?" || len(out.To) != 1 || !strings.Contains(out.To[0], bob) {
			t.Fatalf("reply = %+v", out)
		}
		sent := byID(t, env, alice, out.MessageID)
		if sent.ThreadID != orig.ThreadID {
			t.Errorf("sender's reply is in thread %s, want %s", sent.ThreadID, orig.ThreadID)
		}
		id := orig.Header("Message-ID")
		if sent.Header("In-Reply-To") != id || sent.Header("References") != id || sent.Header("Subject") != "Re: Lunch on Friday?" {
			t.Errorf("reply headers: In-Reply-To %q References %q Subject %q, want %q", sent.Header("In-Reply-To"),
				sent.Header("References"), sent.Header("Subject"), id)
		}
		wantContains(t, "quoted body", sent.Body, "Sure, 12:30?", "wrote:", "> Want to grab lunch on Friday?")
		recv := find(t, env, bob, "Re: Lunch on Friday?")
		if recv.ThreadID != bobsCopy.ThreadID {
			t.Errorf("bob got the reply in thread %s, his original is in %s", recv.ThreadID, bobsCopy.ThreadID)
		}
		if recv.Header("In-Reply-To") != id {
			t.Errorf("bob's copy: In-Reply-To %q", recv.Header("In-Reply-To"))
		}
	})

	t.Run("reply all deep in a thread", func(t *testing.T) {
		var parent sandbox.GmailMessageInfo
		for _, m := range env.Sandbox.GmailMessages(alice) {
			if m.Header("Subject") == "Re: Q3 Launch plan" && strings.Contains(m.Header("From"), "bob@") {
				parent = m
			}
		}
		var out ReplyOutput
		toolstest.OK(t, cs, "reply_to_gmail_message", map[string]any{"message_id": parent.ID, "body": "Checklist looks fine.",
			"reply_mode": "reply_all"}, &out)
		if out.Subject != "Re: Q3 Launch plan" {
			t.Errorf("subject = %q, want a single Re:", out.Subject)
		}
		if len(out.To) != 1 || !strings.Contains(out.To[0], bob) || len(out.Cc) != 1 || !strings.Contains(out.Cc[0], carol) {
			t.Errorf("reply_all recipients: to %v cc %v", out.To, out.Cc)
		}
		sent := byID(t, env, alice, out.MessageID)
		wantRefs := parent.Header("References") + " " + parent.Header("Message-ID")
		if sent.Header("References") != wantRefs || sent.Header("In-Reply-To") != parent.Header("Message-ID") {
			t.Errorf("References %q, want %q", sent.Header("References"), wantRefs)
		}
		if sent.ThreadID != parent.ThreadID {
			t.Error("reply left the thread")
		}
		for _, who := range []string{bob, carol} {
			first := find(t, env, who, "Q3 Launch plan")
			var got sandbox.GmailMessageInfo
			for _, m := range env.Sandbox.GmailMessages(who) {
				if strings.Contains(m.Body, "Checklist looks fine.") {
					got = m
				}
			}
			if got.ID == "" || got.ThreadID != first.ThreadID {
				t.Errorf("%s: reply in thread %q, conversation in %q", who, got.ThreadID, first.ThreadID)
			}
		}
	})

	t.Run("answering one's own message", func(t *testing.T) {
		mine := find(t, env, alice, "Offsite agenda") // alice → carol
		var out ReplyOutput
		toolstest.OK(t, cs, "reply_to_gmail_message", map[string]any{"message_id": mine.ID, "body": "Also: bring boots."}, &out)
		if len(out.To) != 1 || !strings.Contains(out.To[0], carol) {
			t.Errorf("reply to own message went to %v, want carol", out.To)
		}
	})

	t.Run("draft reply", func(t *testing.T) {
		orig := find(t, env, alice, "Coffee next week?")
		var out DraftReplyOutput
		toolstest.OK(t, cs, "draft_gmail_reply", map[string]any{"message_id": orig.ID, "body": "Draft answer",
			"content_type": "mixed", "html_body": "<p>Draft <i>answer</i></p>"}, &out)
		d := byID(t, env, alice, out.MessageID)
		if d.DraftID != out.DraftID || !d.HasLabel("DRAFT") || d.ThreadID != orig.ThreadID ||
			d.Header("In-Reply-To") != orig.Header("Message-ID") || d.Header("Subject") != "Re: Coffee next week?" {
			t.Errorf("draft reply: %+v headers %v", out, d.Headers)
		}
		var upd DraftReplyOutput
		toolstest.OK(t, cs, "draft_gmail_reply", map[string]any{"message_id": orig.ID, "body": "Better answer",
			"draft_id": out.DraftID}, &upd)
		if upd.DraftID != out.DraftID || !upd.Updated {
			t.Errorf("update = %+v", upd)
		}
		wantContains(t, "updated draft", byID(t, env, alice, upd.MessageID).Body, "Better answer")
	})

	t.Run("bad arguments", func(t *testing.T) {
		orig := find(t, env, alice, "Lunch on Friday?")
		wantContains(t, "custom without to", toolstest.Fails(t, cs, "reply_to_gmail_message",
			map[string]any{"message_id": orig.ID, "body": "x", "reply_mode": "custom"}), "custom")
		toolstest.Fails(t, cs, "reply_to_gmail_message", map[string]any{"message_id": orig.ID, "body": "x", "reply_mode": "everyone"})
		wantContains(t, "unknown message", toolstest.Fails(t, cs, "reply_to_gmail_message",
			map[string]any{"message_id": "ffffffffffffff00", "body": "x"}), "404")
	})
}

func TestReplySubject(t *testing.T) {
	for in, want := range map[string]string{
		"Hello": "Re: Hello", "Re: Hello": "Re: Hello", "RE: Hello": "RE: Hello", "re:Hello": "re:Hello",
		"": "Re: ", "Fwd: Hello": "Re: Fwd: Hello", "Regarding": "Re: Regarding",
	} {
		if got := replySubject(in); got != want {
			t.Errorf("replySubject(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"Hello": "Fwd: Hello", "Fwd: Hello": "Fwd: Hello", "FW: x": "FW: x"} {
		if got := forwardSubject(in); got != want {
			t.Errorf("forwardSubject(%q) = %q, want %q", in, got, want)
		}
	}
	o := &original{messageID: "<c@x>", inReplyTo: "<b@x>"}
	if got := o.referencesForReply(); got != "<b@x> <c@x>" {
		t.Errorf("references from In-Reply-To = %q", got)
	}
	o = &original{messageID: "<c@x>", references: "<a@x> <b@x>", inReplyTo: "<b@x>"}
	if got := o.referencesForReply(); got != "<a@x> <b@x> <c@x>" {
		t.Errorf("references = %q", got)
	}
}

func TestForward(t *testing.T) {
	env, cs := aliceSession(t, nil)
	inv := find(t, env, alice, "March invoice and usage report")
	var out ForwardOutput
	toolstest.OK(t, cs, "forward_gmail_message", map[string]any{"message_id": inv.ID, "to": []string{bob},
		"body": "FYI, see below."}, &out)
	if out.Action != "sent" || out.Subject != "Fwd: March invoice and usage report" ||
		strings.Join(out.AttachmentsNotForwarded, ",") != "invoice-march.pdf,usage-march.csv" {
		t.Fatalf("forward = %+v", out)
	}
	got := find(t, env, bob, "Fwd: March invoice and usage report")
	wantContains(t, "forwarded body", got.Body, "FYI, see below.", "---------- Forwarded message ---------",
		"carol@sandbox.example", "Subject: March invoice and usage report", "Attached are the March invoice")
	if got.ThreadID == inv.ThreadID {
		t.Error("a forward started no new thread")
	}

	weekly := find(t, env, alice, "Sandbox Weekly #15: what's new")
	toolstest.OK(t, cs, "forward_gmail_message", map[string]any{"message_id": weekly.ID, "to": []string{carol}}, &out)
	if !out.HTMLPreserved {
		t.Error("the HTML newsletter's HTML was not kept")
	}
	wantContains(t, "html forward", string(byID(t, env, alice, out.MessageID).Raw), "<h1>Sandbox Weekly #15</h1>")
	toolstest.OK(t, cs, "forward_gmail_message", map[string]any{"message_id": weekly.ID, "to": []string{carol}, "content_type": "plain"}, &out)
	if out.HTMLPreserved || strings.Contains(string(byID(t, env, alice, out.MessageID).Raw), "<h1>") {
		t.Error("a plain forward carried HTML")
	}

	var d DraftForwardOutput
	toolstest.OK(t, cs, "draft_gmail_forward", map[string]any{"message_id": inv.ID, "to": []string{carol}}, &d)
	if dm := byID(t, env, alice, d.MessageID); dm.DraftID != d.DraftID || !strings.Contains(dm.Body, "Forwarded message") {
		t.Errorf("draft forward = %+v", d)
	}
	wantContains(t, "unknown", toolstest.Fails(t, cs, "forward_gmail_message", map[string]any{"message_id": "ffffffffffffff00", "to": []string{bob}}), "404")
}

func TestDraft(t *testing.T) {
	env, cs := aliceSession(t, nil)
	var out DraftOutput
	toolstest.OK(t, cs, "draft_gmail_message", map[string]any{"subject": "Idea", "body": "rough"}, &out)
	d := byID(t, env, alice, out.MessageID)
	if d.DraftID != out.DraftID || !d.HasLabel("DRAFT") || out.RecipientCount != 0 {
		t.Fatalf("draft = %+v (%v)", out, d.LabelIDs)
	}
	var upd DraftOutput
	toolstest.OK(t, cs, "draft_gmail_message", map[string]any{"subject": "Idea v2", "body": "polished", "to": []string{bob},
		"draft_id": out.DraftID}, &upd)
	if upd.DraftID != out.DraftID || !upd.Updated || upd.RecipientCount != 1 {
		t.Errorf("update = %+v", upd)
	}
	if len(find(t, env, alice, "Idea v2").Body) == 0 || len(env.Sandbox.GmailMessages(bob)) == 0 {
		t.Error("updated draft missing")
	}
	for _, m := range env.Sandbox.GmailMessages(bob) {
		if m.Header("Subject") == "Idea v2" {
			t.Error("a draft was delivered")
		}
	}
	wantContains(t, "unknown draft", toolstest.Fails(t, cs, "draft_gmail_message", map[string]any{"subject": "x", "body": "y",
		"draft_id": "r999"}), "404")
}

func TestReplyRecipients(t *testing.T) {
	const self = "alice@sandbox.example"
	o := &original{from: "Bob <bob@x.example>", replyTo: "List <list@x.example>", to: "alice@sandbox.example, Carol <carol@x.example>",
		cc: "dave@x.example, ALICE@sandbox.example, carol@x.example"}
	for _, tc := range []struct {
		mode       string
		in         ReplyInput
		o          *original
		to, cc     string
		wantErrMsg string
	}{
		{mode: "sender_only", o: o, to: "list@x.example"},
		{mode: "reply_all", o: o, to: "list@x.example,carol@x.example", cc: "dave@x.example"},
		{mode: "sender_only", o: &original{from: self, to: "Carol <carol@x.example>, alice@sandbox.example"}, to: "carol@x.example"},
		{mode: "custom", in: ReplyInput{To: []string{"me", "z@x.example"}, Cc: []string{"y@x.example"}}, o: o, to: self + ",z@x.example", cc: "y@x.example"},
		{mode: "custom", o: o, wantErrMsg: "needs the recipients"},
		{mode: "sender_only", o: &original{}, wantErrMsg: "no sender"},
	} {
		tc.in.ReplyMode = tc.mode
		to, cc, _, err := replyRecipients(tc.in, tc.o, self)
		if tc.wantErrMsg != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrMsg) {
				t.Errorf("%s %+v: err %v, want %q", tc.mode, tc.o, err, tc.wantErrMsg)
			}
			continue
		}
		addrs := func(l []*mail.Address) string {
			var s []string
			for _, a := range l {
				s = append(s, strings.ToLower(a.Address))
			}
			return strings.Join(s, ",")
		}
		if err != nil || addrs(to) != tc.to || addrs(cc) != tc.cc {
			t.Errorf("%s: to %q cc %q err %v; want %q %q", tc.mode, addrs(to), addrs(cc), err, tc.to, tc.cc)
		}
	}
}

func BenchmarkBuildEmail(b *testing.B) {
	e := &email{From: alice, To: []*mail.Address{{Name: "José Ñúñez", Address: "jose@partner.example"}, {Address: bob}},
		Subject: "Réunion à Zürich", Text: strings.Repeat("Plain text line with café.\n", 200),
		HTML: strings.Repeat("<p>HTML paragraph with <b>café</b>.</p>\n", 200), InReplyTo: "<a@x>", References: "<z@x> <a@x>"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.build(); err != nil {
			b.Fatal(err)
		}
	}
}
