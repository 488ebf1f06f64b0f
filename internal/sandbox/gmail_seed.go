package sandbox

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// This file seeds the demo mailboxes: about forty messages for alice over the last weeks
// (a three-message thread with bob, newsletters, CI mail, receipts caught by a filter,
// attachments, spam, trash, HTML, non-ASCII text) and a few for bob, carol and dave. Every
// date is relative to the sandbox's clock at start, so tests see the same mail every run.

const (
	seedAlice = "Alice Martin <alice@sandbox.example>"
	seedBob   = "Bob Nakamura <bob@sandbox.example>"
	seedCarol = "Carol Okafor <carol@sandbox.example>"
	seedDave  = "Dave Rossi <dave@consumer.example>"
)

// seedAttachment is a file attached to a seeded message.
type seedAttachment struct {
	filename, mimeType string
	data               []byte
}

// seedMail is one seeded message, delivered to every sandbox account among its sender and
// recipients.
type seedMail struct {
	key           string // local part of the Message-ID
	replyTo       string // key of the message this one answers
	ago           time.Duration
	from, to, cc  string
	subject, text string
	html          string
	attachments   []seedAttachment
	extra         []string            // more header lines
	labels        map[string][]string // per mailbox: labels to add; "-X" removes X
}

// SeedPDF, SeedCSV and SeedPNG return the bytes of the attachments seeded in alice's
// mailbox (invoice-march.pdf, usage-march.csv, team.png), for byte-exact assertions.
func SeedPDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\nstream\n")
	for i := range 256 {
		b.WriteByte(byte(i))
	}
	b.WriteString("\nendstream\n%%EOF\n")
	return b.Bytes()
}

// SeedCSV is the usage report attached to the March invoice.
func SeedCSV() []byte {
	return []byte("date,requests,errors\r\n2026-02-01,1200,3\r\n2026-02-02,1350,0\r\n2026-02-03,990,12\r\n")
}

// SeedPNG is the team photo carol sent (a tiny but valid PNG header and body).
func SeedPNG() []byte {
	return append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0x00, 0xff, 0x7f, 0x80}, 64)...)
}

func seedMails() []seedMail {
	day := 24 * time.Hour
	const alice = "alice@sandbox.example"
	mails := []seedMail{
		{key: "welcome", ago: 30 * day, from: "Sandbox Admin <admin@sandbox.example>", to: seedAlice + ", " + seedBob + ", " + seedCarol,
			subject: "Welcome to Sandbox Workspace", text: "Hello team,\n\nYour sandbox accounts are ready. Have fun!\n\nThe admin"},
		{key: "newyear", ago: 400 * day, from: seedDave, to: seedAlice, subject: "Happy New Year!",
			text: "Wishing you a wonderful year ahead.\n\nDave"},
	}
	for i := range 16 {
		n := 101 + i
		m := seedMail{key: fmt.Sprintf("build-%d", n), ago: time.Duration(16-i)*day + 3*time.Hour,
			from: "CI Bot <ci@builds.example>", to: seedAlice, subject: fmt.Sprintf("Build #%d passed", n),
			text:   fmt.Sprintf("Pipeline main #%d finished successfully in %d minutes.", n, 7+i%5),
			labels: map[string][]string{alice: {"CATEGORY_UPDATES", "-CATEGORY_PERSONAL"}}}
		if n == 110 {
			m.subject = "Build #110 failed"
			m.text = "Pipeline main #110 failed: TestCheckout timed out after 10 minutes."
			m.labels[alice] = append(m.labels[alice], "IMPORTANT")
		}
		if i >= 14 {
			m.labels[alice] = append(m.labels[alice], "UNREAD")
		}
		mails = append(mails, m)
	}
	for i, issue := range []int{12, 13, 14, 15} {
		m := seedMail{key: fmt.Sprintf("weekly-%d", issue), ago: time.Duration(22-7*i)*day + 6*time.Hour,
			from: "Sandbox Weekly <newsletter@news.example>", to: seedAlice,
			subject: fmt.Sprintf("Sandbox Weekly #%d: what's new", issue),
			text:    fmt.Sprintf("Issue %d of the newsletter: release notes, tips and a recipe.", issue),
			extra:   []string{"List-Id: Sandbox Weekly <weekly.news.example>", "List-Unsubscribe: <https://news.example/unsubscribe>"},
			labels:  map[string][]string{alice: {"CATEGORY_PROMOTIONS", "-CATEGORY_PERSONAL"}}}
		if issue == 15 {
			m.html = "<html><body><h1>Sandbox Weekly #15</h1><p>Issue 15 of the newsletter: <b>release notes</b>, tips &amp; a recipe.</p></body></html>"
			m.labels[alice] = append(m.labels[alice], "UNREAD")
		}
		mails = append(mails, m)
	}
	mails = append(mails,
		seedMail{key: "q3-launch-1", ago: 6*day - 1*time.Hour, from: seedBob, to: seedAlice, cc: seedCarol,
			subject: "Q3 Launch plan", text: "Hi Alice,\n\nHere is the draft plan for the Q3 launch: beta on July 1st, GA on August 15th.\nCan you review the timeline?\n\nBob",
			labels: map[string][]string{alice: {"Projects"}}},
		seedMail{key: "q3-launch-2", replyTo: "q3-launch-1", ago: 5*day + 2*time.Hour, from: seedAlice, to: seedBob, cc: seedCarol,
			subject: "Re: Q3 Launch plan", text: "Looks good to me. Let's keep a week of buffer before GA.\n\nAlice",
			labels: map[string][]string{alice: {"Projects"}}},
		seedMail{key: "q3-launch-3", replyTo: "q3-launch-2", ago: 5*day - 5*time.Hour, from: seedBob, to: seedAlice, cc: seedCarol,
			subject: "Re: Q3 Launch plan", text: "Agreed, I moved GA to August 22nd. Launch checklist to follow.\n\nBob",
			labels: map[string][]string{alice: {"Projects", "UNREAD", "IMPORTANT"}}},
		seedMail{key: "invoice-march", ago: 3 * day, from: seedCarol, to: seedAlice, subject: "March invoice and usage report",
			text:        "Hi Alice,\n\nAttached are the March invoice and the usage report.\n\nCarol",
			attachments: []seedAttachment{{"invoice-march.pdf", "application/pdf", SeedPDF()}, {"usage-march.csv", "text/csv", SeedCSV()}},
			labels:      map[string][]string{alice: {"STARRED", "Receipts"}}},
		seedMail{key: "prize", ago: 2 * day, from: "Prize Desk <winner@lottery.example>", to: seedAlice,
			subject: "You have won a prize!!!", text: "Claim your prize now by sending your bank details.",
			labels: map[string][]string{alice: {"SPAM", "UNREAD", "-INBOX", "-CATEGORY_PERSONAL"}}},
		seedMail{key: "old-lunch", ago: 10 * day, from: seedBob, to: seedAlice, subject: "Old lunch plans",
			text: "Forget about the lunch on Tuesday, it got cancelled.", labels: map[string][]string{alice: {"TRASH"}}},
		seedMail{key: "zurich", ago: 4*day + 2*time.Hour, from: "José Ñúñez <jose@partner.example>", to: seedAlice,
			subject: "Réunion à Zürich — ordre du jour",
			text:    "Bonjour Alice,\n\nVoici l'ordre du jour de la réunion à Zürich : café, stratégie, déjeuner.\n\nÀ bientôt,\nJosé",
			labels:  map[string][]string{alice: {"UNREAD"}}},
		seedMail{key: "design-1", ago: 9 * day, from: seedCarol, to: seedAlice, subject: "Design review notes",
			text: "Notes from today's design review: the onboarding flow needs one less step."},
		seedMail{key: "design-2", replyTo: "design-1", ago: 8 * day, from: seedAlice, to: seedCarol, subject: "Re: Design review notes",
			text: "Thanks Carol, I'll update the mockups."},
		seedMail{key: "coffee-1", ago: 2*day + 4*time.Hour, from: seedDave, to: seedAlice, subject: "Coffee next week?",
			text: "Are you free for a coffee next Tuesday?"},
		seedMail{key: "coffee-2", replyTo: "coffee-1", ago: 1*day + 20*time.Hour, from: seedAlice, to: seedDave, subject: "Re: Coffee next week?",
			text: "Tuesday works, see you at 10."},
		seedMail{key: "offsite", ago: 7 * day, from: seedAlice, to: seedCarol, subject: "Offsite agenda",
			text: "Carol, here is the agenda for the offsite: planning in the morning, hiking in the afternoon."},
		seedMail{key: "lunch-friday", ago: 2 * time.Hour, from: seedBob, to: seedAlice, subject: "Lunch on Friday?",
			text: "Want to grab lunch on Friday? The new ramen place opened.", labels: map[string][]string{alice: {"UNREAD"}}},
		seedMail{key: "team-photo", ago: 4 * day, from: seedCarol, to: seedAlice, subject: "Team photo",
			text: "Here is the photo from the offsite.", attachments: []seedAttachment{{"team.png", "image/png", SeedPNG()}},
			labels: map[string][]string{alice: {"STARRED"}}},
		seedMail{key: "security", ago: 1*day + 1*time.Hour, from: "Sandbox Accounts <no-reply@accounts.sandbox.example>", to: seedAlice,
			subject: "Security alert: new sign-in", text: "We noticed a new sign-in to your account from Linux.",
			labels: map[string][]string{alice: {"IMPORTANT", "UNREAD", "CATEGORY_UPDATES", "-CATEGORY_PERSONAL"}}},
	)
	for i, n := range []int{1001, 1002, 1003} {
		mails = append(mails, seedMail{key: fmt.Sprintf("receipt-%d", n), ago: time.Duration(20-7*i) * day,
			from: "Sandbox Store <receipts@store.example>", to: seedAlice, subject: fmt.Sprintf("Your receipt #%d", n),
			text:   fmt.Sprintf("Thank you for your order #%d. Total: %d.00 EUR.", n, 19+10*i),
			labels: map[string][]string{alice: {"Receipts", "-INBOX"}}})
	}
	slices.SortStableFunc(mails, func(a, b seedMail) int { return cmp.Compare(b.ago, a.ago) })
	return mails
}

// seed fills the demo mailboxes, once, at start. It needs no lock: nothing else can see gm yet.
func (gm *gmailService) seed(now time.Time) {
	accounts := gm.sb.Accounts()
	isAccount := func(addr string) bool {
		return slices.ContainsFunc(accounts, func(a Account) bool { return strings.EqualFold(a.Email, addr) })
	}
	if isAccount("alice@sandbox.example") {
		mb := gm.box("alice@sandbox.example")
		mb.addLabel(gmLabel{Name: "Projects", Color: &gmLabelColor{TextColor: "#ffffff", BackgroundColor: "#16a765"}})
		receipts := mb.addLabel(gmLabel{Name: "Receipts"})
		mb.addFilter(gmFilter{Criteria: &gmFilterCrit{From: "receipts@store.example"},
			Action: &gmFilterAction{AddLabelIDs: []string{receipts.ID}, RemoveLabelIDs: []string{"INBOX"}}})
	}
	refs := map[string]string{} // key -> References of the message that key names, plus its id
	now = now.Truncate(time.Second)
	for _, sm := range seedMails() {
		at := now.Add(-sm.ago)
		raw := sm.build(at, refs[sm.replyTo])
		refs[sm.key] = strings.TrimSpace(refs[sm.replyTo] + " " + seedMessageID(sm))
		from, _ := mail.ParseAddress(sm.from)
		from.Address = strings.ToLower(from.Address)
		var rcpts []string
		for _, list := range []string{sm.to, sm.cc} {
			if list == "" {
				continue
			}
			addrs, _ := mail.ParseAddressList(list)
			for _, a := range addrs {
				rcpts = append(rcpts, strings.ToLower(a.Address))
			}
		}
		if isAccount(from.Address) {
			gm.seedInto(gm.box(from.Address), raw, at, []string{"SENT"}, sm.labels[from.Address])
		}
		for _, r := range rcpts {
			if isAccount(r) && r != from.Address {
				gm.seedInto(gm.box(r), raw, at, []string{"INBOX", "CATEGORY_PERSONAL"}, sm.labels[r])
			}
		}
	}
}

func (gm *gmailService) seedInto(mb *mailbox, raw []byte, at time.Time, base, extra []string) {
	m, err := gm.newMessage(mb, raw, base, at)
	if err != nil {
		panic("sandbox: seeded gmail message does not parse: " + err.Error())
	}
	for _, l := range extra {
		if id, ok := strings.CutPrefix(l, "-"); ok {
			m.removeLabel(id)
			continue
		}
		if ids := mb.labelsNamed(l); len(ids) > 0 && mb.labels[ids[0]] != nil {
			l = ids[0]
		}
		if l == "TRASH" {
			m.wasInbox = m.hasLabel("INBOX")
			m.removeLabel("INBOX")
		}
		m.addLabel(l)
	}
	mb.store(m, mb.receiverThread(m.root))
}

func seedMessageID(sm seedMail) string {
	addr, _ := mail.ParseAddress(sm.from)
	_, domain, _ := strings.Cut(addr.Address, "@")
	return "<" + sm.key + "@mail." + domain + ">"
}

// build writes the seeded message as RFC 2822 text with CRLF line ends.
func (sm seedMail) build(at time.Time, references string) []byte {
	var b bytes.Buffer
	hdr := func(name, value string) { fmt.Fprintf(&b, "%s: %s\r\n", name, value) }
	hdr("MIME-Version", "1.0")
	hdr("Date", at.Format(time.RFC1123Z))
	hdr("Message-ID", seedMessageID(sm))
	if sm.replyTo != "" {
		ids := strings.Fields(references)
		hdr("In-Reply-To", ids[len(ids)-1])
		hdr("References", references)
	}
	hdr("Subject", encodeHeaderWords(sm.subject))
	hdr("From", encodeAddressList(sm.from))
	hdr("To", encodeAddressList(sm.to))
	if sm.cc != "" {
		hdr("Cc", encodeAddressList(sm.cc))
	}
	for _, e := range sm.extra {
		b.WriteString(e + "\r\n")
	}
	body := textEntity("text/plain", sm.text)
	if sm.html != "" {
		body = multipartEntity("alternative", "alt-"+sm.key, body, textEntity("text/html", sm.html))
	}
	if len(sm.attachments) > 0 {
		parts := []string{body}
		for _, a := range sm.attachments {
			parts = append(parts, attachmentEntity(a))
		}
		body = multipartEntity("mixed", "mixed-"+sm.key, parts...)
	}
	b.WriteString(body)
	return b.Bytes()
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func encodeHeaderWords(s string) string {
	if isASCII(s) {
		return s
	}
	return mime.BEncoding.Encode("UTF-8", s)
}

func encodeAddressList(list string) string {
	addrs, err := mail.ParseAddressList(list)
	if err != nil {
		return list
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return strings.Join(out, ", ")
}

// textEntity is a text part: headers, blank line, content (quoted-printable when not ASCII).
func textEntity(mediaType, text string) string {
	text = strings.ReplaceAll(text, "\n", "\r\n")
	if isASCII(text) {
		return "Content-Type: " + mediaType + "; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + text + "\r\n"
	}
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	_, _ = w.Write([]byte(text))
	_ = w.Close()
	return "Content-Type: " + mediaType + "; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qp.String() + "\r\n"
}

func multipartEntity(sub, boundary string, parts ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Content-Type: multipart/%s; boundary=\"%s\"\r\n\r\n", sub, boundary)
	for _, p := range parts {
		fmt.Fprintf(&b, "--%s\r\n%s", boundary, p)
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.String()
}

func attachmentEntity(a seedAttachment) string {
	enc := base64.StdEncoding.EncodeToString(a.data)
	var b strings.Builder
	fmt.Fprintf(&b, "Content-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		a.mimeType, a.filename, a.filename)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.String()
}
