package sandbox

import (
	"bytes"
	"encoding/base64"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/api/gmail/v1"
)

func gmPartData(t *testing.T, p *gmail.MessagePart) string {
	t.Helper()
	b, err := base64.URLEncoding.DecodeString(p.Body.Data)
	if err != nil {
		t.Fatalf("part %s: body.data is not base64url: %v", p.PartId, err)
	}
	return string(b)
}

func TestGmailGetFormats(t *testing.T) {
	h := newHarness(t)
	svc := h.gmailClient(alice, gmRO)
	inv := gmFind(t, h.sb, alice, "March invoice and usage report")

	t.Run("full", func(t *testing.T) {
		m, err := svc.Users.Messages.Get("me", inv.ID).Do()
		if err != nil {
			t.Fatal(err)
		}
		if m.Id != inv.ID || m.ThreadId != inv.ThreadID || !slices.Contains(m.LabelIds, "STARRED") ||
			!slices.Contains(m.LabelIds, "Label_2") || m.Raw != "" || m.HistoryId == 0 ||
			m.InternalDate != inv.InternalDate.UnixMilli() || m.SizeEstimate != int64(len(inv.Raw)) {
			t.Fatalf("message = %+v", m)
		}
		if !strings.HasPrefix(m.Snippet, "Hi Alice, Attached are the March invoice") {
			t.Errorf("snippet %q", m.Snippet)
		}
		p := m.Payload
		if p.MimeType != "multipart/mixed" || p.PartId != "" || len(p.Parts) != 3 || p.Body.Size != 0 {
			t.Fatalf("payload %s with %d parts", p.MimeType, len(p.Parts))
		}
		hdr := map[string]string{}
		for _, hd := range p.Headers {
			hdr[hd.Name] = hd.Value
		}
		if hdr["Subject"] != "March invoice and usage report" || hdr["From"] != `"Carol Okafor" <carol@sandbox.example>` ||
			hdr["Message-ID"] != "<invoice-march@mail.sandbox.example>" {
			t.Errorf("headers %v", hdr)
		}
		if p.Headers[0].Name != "MIME-Version" {
			t.Errorf("headers are not in message order: %v", p.Headers[0])
		}
		text, pdf, csv := p.Parts[0], p.Parts[1], p.Parts[2]
		if text.PartId != "0" || text.MimeType != "text/plain" || text.Filename != "" || text.Body.AttachmentId != "" ||
			!strings.Contains(gmPartData(t, text), "Attached are the March invoice") {
			t.Errorf("text part %+v", text)
		}
		if pdf.PartId != "1" || pdf.MimeType != "application/pdf" || pdf.Filename != "invoice-march.pdf" ||
			pdf.Body.AttachmentId == "" || pdf.Body.Data != "" || pdf.Body.Size != int64(len(SeedPDF())) {
			t.Errorf("pdf part %+v %+v", pdf, pdf.Body)
		}
		if csv.PartId != "2" || csv.Filename != "usage-march.csv" || csv.Body.Size != int64(len(SeedCSV())) {
			t.Errorf("csv part %+v", csv)
		}
	})
	t.Run("metadata", func(t *testing.T) {
		m, err := svc.Users.Messages.Get("me", inv.ID).Format("metadata").MetadataHeaders("Subject", "from").Do()
		if err != nil {
			t.Fatal(err)
		}
		if m.Payload == nil || len(m.Payload.Headers) != 2 || m.Payload.Headers[0].Name != "Subject" ||
			m.Payload.Headers[1].Name != "From" || len(m.Payload.Parts) != 0 || m.Snippet == "" || m.Raw != "" {
			t.Fatalf("metadata = %+v", m.Payload)
		}
		all, err := svc.Users.Messages.Get("me", inv.ID).Format("metadata").Do()
		if err != nil || len(all.Payload.Headers) < 7 {
			t.Fatalf("metadata without metadataHeaders: %v", err)
		}
	})
	t.Run("minimal", func(t *testing.T) {
		m, err := svc.Users.Messages.Get("me", inv.ID).Format("minimal").Do()
		if err != nil {
			t.Fatal(err)
		}
		if m.Payload != nil || m.Raw != "" || len(m.LabelIds) == 0 || m.Snippet == "" || m.InternalDate == 0 {
			t.Fatalf("minimal = %+v", m)
		}
	})
	t.Run("raw", func(t *testing.T) {
		m, err := svc.Users.Messages.Get("me", inv.ID).Format("raw").Do()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.URLEncoding.DecodeString(m.Raw)
		if err != nil || !bytes.Equal(raw, inv.Raw) || m.Payload != nil {
			t.Fatalf("raw does not round-trip: %v", err)
		}
		pm, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil || pm.Header.Get("Subject") != "March invoice and usage report" {
			t.Fatalf("raw is not a message: %v", err)
		}
	})
	t.Run("html and plain alternative", func(t *testing.T) {
		w := gmFind(t, h.sb, alice, "Sandbox Weekly #15: what's new")
		m, err := svc.Users.Messages.Get("me", w.ID).Do()
		if err != nil {
			t.Fatal(err)
		}
		p := m.Payload
		if p.MimeType != "multipart/alternative" || len(p.Parts) != 2 || p.Parts[0].MimeType != "text/plain" ||
			p.Parts[1].MimeType != "text/html" || !strings.Contains(gmPartData(t, p.Parts[1]), "<b>release notes</b>") {
			t.Fatalf("alternative payload %+v", p)
		}
		if m.Snippet != "Issue 15 of the newsletter: release notes, tips and a recipe." {
			t.Errorf("snippet %q", m.Snippet)
		}
	})
	t.Run("non-ASCII subject and body", func(t *testing.T) {
		z := gmFind(t, h.sb, alice, "Réunion à Zürich — ordre du jour")
		if !strings.Contains(string(z.Raw), "Subject: =?UTF-8?b?") {
			t.Fatalf("the seed should encode the subject per RFC 2047: %s", z.Raw[:200])
		}
		m, err := svc.Users.Messages.Get("me", z.ID).Do()
		if err != nil {
			t.Fatal(err)
		}
		var subject, from string
		for _, hd := range m.Payload.Headers {
			switch hd.Name {
			case "Subject":
				subject = hd.Value
			case "From":
				from = hd.Value
			}
		}
		if subject != "Réunion à Zürich — ordre du jour" || !strings.Contains(from, "José Ñúñez") {
			t.Errorf("decoded headers %q %q", subject, from)
		}
		if body := gmPartData(t, m.Payload); !strings.Contains(body, "réunion à Zürich : café, stratégie, déjeuner") {
			t.Errorf("body %q", body)
		}
		if !strings.Contains(m.Snippet, "Voici l&#39;ordre du jour") {
			t.Errorf("snippet should be HTML-escaped like Gmail's: %q", m.Snippet)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := svc.Users.Messages.Get("me", "00000000deadbeef").Do()
		gmWantError(t, err, 404, "notFound", "Requested entity was not found.")
		_, err = svc.Users.Messages.Get("me", "not-an-id!").Do()
		gmWantError(t, err, 400, "invalidArgument", "Invalid id value")
		_, err = svc.Users.Messages.Get("me", inv.ID).Format("everything").Do()
		gmWantError(t, err, 400, "invalidArgument", "format")
	})
}

const gmRO = "https://www.googleapis.com/auth/gmail.readonly"

func TestGmailAttachmentsByteExact(t *testing.T) {
	h := newHarness(t)
	svc := h.gmailClient(alice, gmRO)
	for _, tc := range []struct {
		subject, filename string
		want              []byte
	}{
		{"March invoice and usage report", "invoice-march.pdf", SeedPDF()},
		{"March invoice and usage report", "usage-march.csv", SeedCSV()},
		{"Team photo", "team.png", SeedPNG()},
	} {
		t.Run(tc.filename, func(t *testing.T) {
			info := gmFind(t, h.sb, alice, tc.subject)
			m, err := svc.Users.Messages.Get("me", info.ID).Do()
			if err != nil {
				t.Fatal(err)
			}
			var attID string
			for _, p := range m.Payload.Parts {
				if p.Filename == tc.filename {
					attID = p.Body.AttachmentId
				}
			}
			body, err := svc.Users.Messages.Attachments.Get("me", info.ID, attID).Do()
			if err != nil {
				t.Fatal(err)
			}
			got, err := base64.URLEncoding.DecodeString(body.Data)
			if err != nil || !bytes.Equal(got, tc.want) || body.Size != int64(len(tc.want)) {
				t.Fatalf("attachment differs (%v): %d bytes, want %d", err, len(got), len(tc.want))
			}
		})
	}
	info := gmFind(t, h.sb, alice, "Team photo")
	_, err := svc.Users.Messages.Attachments.Get("me", info.ID, "ANGjdJbogus").Do()
	gmWantError(t, err, 400, "invalidArgument", "")
	other := gmFind(t, h.sb, alice, "March invoice and usage report")
	m, _ := svc.Users.Messages.Get("me", other.ID).Do()
	_, err = svc.Users.Messages.Attachments.Get("me", info.ID, m.Payload.Parts[1].Body.AttachmentId).Do()
	gmWantError(t, err, 400, "", "") // another message's attachment id is not this message's
}

func TestGmailModifyTrashDelete(t *testing.T) {
	h := newHarness(t)
	svc := h.gmailClient(alice, gmModify)
	lunch := gmFind(t, h.sb, alice, "Lunch on Friday?")

	m, err := svc.Users.Messages.Modify("me", lunch.ID, &gmail.ModifyMessageRequest{
		AddLabelIds: []string{"STARRED", "Label_1"}, RemoveLabelIds: []string{"UNREAD"}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if m.Id != lunch.ID || !slices.Contains(m.LabelIds, "STARRED") || !slices.Contains(m.LabelIds, "Label_1") ||
		slices.Contains(m.LabelIds, "UNREAD") {
		t.Fatalf("labels after modify %v", m.LabelIds)
	}
	for _, bad := range []*gmail.ModifyMessageRequest{
		{AddLabelIds: []string{"Label_99"}}, {AddLabelIds: []string{"SENT"}}, {RemoveLabelIds: []string{"DRAFT"}},
	} {
		_, err := svc.Users.Messages.Modify("me", lunch.ID, bad).Do()
		gmWantError(t, err, 400, "invalidArgument", "Invalid label")
	}
	_, err = svc.Users.Messages.Modify("me", "00000000deadbeef", &gmail.ModifyMessageRequest{AddLabelIds: []string{"STARRED"}}).Do()
	gmWantError(t, err, 404, "notFound", "")

	// batchModify marks every unread CI mail read.
	ids := gmListIDs(t, svc.Users.Messages.List("me").Q("from:ci is:unread"))
	if len(ids) != 2 {
		t.Fatalf("%d unread CI mails", len(ids))
	}
	if err := svc.Users.Messages.BatchModify("me", &gmail.BatchModifyMessagesRequest{Ids: ids, RemoveLabelIds: []string{"UNREAD"}}).Do(); err != nil {
		t.Fatal(err)
	}
	if n := len(gmListIDs(t, svc.Users.Messages.List("me").Q("from:ci is:unread"))); n != 0 {
		t.Fatalf("%d still unread", n)
	}
	err = svc.Users.Messages.BatchModify("me", &gmail.BatchModifyMessagesRequest{}).Do()
	gmWantError(t, err, 400, "invalidArgument", "")

	// Trash takes a message out of the inbox and out of lists; untrash brings it back.
	tm, err := svc.Users.Messages.Trash("me", lunch.ID).Do()
	if err != nil || !slices.Contains(tm.LabelIds, "TRASH") || slices.Contains(tm.LabelIds, "INBOX") {
		t.Fatalf("trash: %v %v", tm, err)
	}
	if ids := gmListIDs(t, svc.Users.Messages.List("me").Q("ramen")); len(ids) != 0 {
		t.Fatal("a trashed message is listed by default")
	}
	um, err := svc.Users.Messages.Untrash("me", lunch.ID).Do()
	if err != nil || slices.Contains(um.LabelIds, "TRASH") || !slices.Contains(um.LabelIds, "INBOX") {
		t.Fatalf("untrash: %v %v", um, err)
	}

	// Threads: modify and trash act on every message.
	q3 := gmFind(t, h.sb, alice, "Q3 Launch plan")
	th, err := svc.Users.Threads.Modify("me", q3.ThreadID, &gmail.ModifyThreadRequest{AddLabelIds: []string{"STARRED"}}).Do()
	if err != nil || len(th.Messages) != 3 {
		t.Fatalf("threads.modify: %v", err)
	}
	for _, tm := range th.Messages {
		if !slices.Contains(tm.LabelIds, "STARRED") {
			t.Fatalf("message %s not starred", tm.Id)
		}
	}
	full, err := svc.Users.Threads.Get("me", q3.ThreadID).Do()
	if err != nil || len(full.Messages) != 3 || full.Messages[0].Id != q3.ID || full.Messages[2].Payload == nil {
		t.Fatalf("threads.get: %v", err)
	}
	if _, err := svc.Users.Threads.Trash("me", q3.ThreadID).Do(); err != nil {
		t.Fatal(err)
	}
	if ids := gmListIDs(t, svc.Users.Messages.List("me").Q("in:trash")); len(ids) != 4 {
		t.Fatalf("%d messages in trash, want 4", len(ids))
	}
	if _, err := svc.Users.Threads.Untrash("me", q3.ThreadID).Do(); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Users.Threads.Get("me", "00000000deadbeef").Do()
	gmWantError(t, err, 404, "notFound", "")

	// Permanent delete needs https://mail.google.com/.
	err = svc.Users.Messages.Delete("me", lunch.ID).Do()
	gmWantError(t, err, 403, "insufficientPermissions", "")
	err = svc.Users.Threads.Delete("me", q3.ThreadID).Do()
	gmWantError(t, err, 403, "insufficientPermissions", "")
	full2 := h.gmailClient(alice, gmMail)
	if err := full2.Users.Messages.Delete("me", lunch.ID).Do(); err != nil {
		t.Fatal(err)
	}
	_, err = full2.Users.Messages.Get("me", lunch.ID).Do()
	gmWantError(t, err, 404, "notFound", "")
	if err := full2.Users.Threads.Delete("me", q3.ThreadID).Do(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.sb.GmailMessages(alice)); n != 36 {
		t.Fatalf("%d messages left, want 36", n)
	}
	p, _ := full2.Users.GetProfile("me").Do()
	if p.MessagesTotal != 36 {
		t.Fatalf("profile total %d", p.MessagesTotal)
	}
	if strconv.FormatUint(p.HistoryId, 10) == "" {
		t.Fatal("no history id")
	}
}
