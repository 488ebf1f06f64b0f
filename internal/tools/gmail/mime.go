package gmail

import (
	"bytes"
	"fmt"
	"html"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// This file builds RFC 5322 messages: headers with RFC 2047 encoded words for non-ASCII
// subjects and names, a quoted-printable text body, and a multipart/alternative with an
// HTML body when there is one.

// email is a message to build.
type email struct {
	From        string
	To, Cc, Bcc []*mail.Address
	Subject     string
	Text        string // the plain-text body
	HTML        string // the HTML alternative ("" for text only)
	InReplyTo   string
	References  string
}

// recipients returns every address of To, Cc and Bcc, in order, lower-cased and unique.
func (e *email) recipients() []string {
	var out []string
	for _, list := range [][]*mail.Address{e.To, e.Cc, e.Bcc} {
		for _, a := range list {
			addr := strings.ToLower(a.Address)
			if !containsFold(out, addr) {
				out = append(out, addr)
			}
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// build writes the message with CRLF line ends.
func (e *email) build() ([]byte, error) {
	var b bytes.Buffer
	hdr := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	hdr("MIME-Version", "1.0")
	hdr("From", (&mail.Address{Address: e.From}).String())
	for _, f := range []struct {
		name string
		list []*mail.Address
	}{{"To", e.To}, {"Cc", e.Cc}, {"Bcc", e.Bcc}} {
		if len(f.list) > 0 {
			hdr(f.name, foldList(len(f.name)+2, addressStrings(f.list), ","))
		}
	}
	hdr("Subject", encodeWords(oneLine(e.Subject)))
	if e.InReplyTo != "" {
		hdr("In-Reply-To", oneLine(e.InReplyTo))
	}
	if e.References != "" {
		hdr("References", foldList(len("References: "), strings.Fields(oneLine(e.References)), ""))
	}
	if e.HTML == "" {
		writeTextPart(&b, "text/plain", e.Text)
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	hdr("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	for _, p := range []struct{ mediaType, content string }{{"text/plain", e.Text}, {"text/html", e.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(p.mediaType, map[string]string{"charset": "UTF-8"})},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("writing the %s part: %w", p.mediaType, err)
		}
		if err := writeQP(w, p.content); err != nil {
			return nil, fmt.Errorf("writing the %s part: %w", p.mediaType, err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("closing the message: %w", err)
	}
	return b.Bytes(), nil
}

// writeTextPart writes a single-part body after the message's headers: its own headers, a
// blank line and the quoted-printable content.
func writeTextPart(b *bytes.Buffer, mediaType, content string) {
	b.WriteString("Content-Type: " + mime.FormatMediaType(mediaType, map[string]string{"charset": "UTF-8"}) + "\r\n")
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	_ = writeQP(b, content) // a bytes.Buffer does not fail
}

type writer interface{ Write([]byte) (int, error) }

func writeQP(w writer, content string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(normalizeNewlines(content))); err != nil {
		return err
	}
	return qp.Close()
}

// oneLine removes line breaks, which would end a header field (header injection).
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s))
}

// encodeWords encodes a header text as RFC 2047 words when it is not plain ASCII.
func encodeWords(s string) string {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return mime.QEncoding.Encode("UTF-8", s)
		}
	}
	return s
}

func addressStrings(list []*mail.Address) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.String() // RFC 2047 encodes a non-ASCII display name
	}
	return out
}

// foldList joins items with sep and a space, folding onto continuation lines so no line
// grows past 78 characters where it can be avoided. start is the header name's width.
func foldList(start int, items []string, sep string) string {
	var b strings.Builder
	col := start
	for i, it := range items {
		if i > 0 {
			b.WriteString(sep)
			if col+len(sep)+1+len(it) > 78 {
				b.WriteString("\r\n ")
				col = 1
			} else {
				b.WriteString(" ")
				col += len(sep) + 1
			}
		}
		b.WriteString(it)
		col += len(it)
	}
	return b.String()
}

// parseRecipients reads recipient entries: addresses, "Name <address>" forms, comma
// separated lists, and "me"/"myself" for the acting account.
func parseRecipients(field string, entries []string, self string) ([]*mail.Address, error) {
	var out []*mail.Address
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if isSelfAlias(e) {
			out = append(out, &mail.Address{Address: self})
			continue
		}
		list, err := mail.ParseAddressList(e)
		if err != nil || strings.ContainsAny(e, "\r\n") {
			return nil, tools.Errorf(fmt.Sprintf("%s: %q is not a valid email address; use forms like name@example.com or \"Name <name@example.com>\".", field, e))
		}
		out = append(out, list...)
	}
	return out, nil
}

// bodies turns the tools' body, html_body and content_type parameters into the text and
// HTML parts of a message: 'plain' is text only, 'html' takes body as HTML (with a text
// rendering of it), 'mixed' sends body as text and html_body as HTML. Without a content
// type, html_body decides. extraText and extraHTML (a quoted original) are appended.
func bodies(contentType, body, htmlBody, extraText, extraHTML string) (text, htmlOut string, err error) {
	if contentType == "" {
		contentType = "plain"
		if htmlBody != "" {
			contentType = "mixed"
		}
	}
	switch contentType {
	case "plain":
		return body + extraText, "", nil
	case "html":
		return htmlToText(body) + extraText, body + extraHTML, nil
	case "mixed":
		h := htmlBody
		if h == "" {
			h = textToHTML(body)
		}
		return body + extraText, h + extraHTML, nil
	}
	return "", "", tools.Errorf("content_type must be 'plain', 'html' or 'mixed'.")
}

// textToHTML renders plain text as HTML (escaped, line breaks kept).
func textToHTML(s string) string {
	return strings.ReplaceAll(html.EscapeString(normalizeNewlines(s)), "\n", "<br>\n")
}
