package gmail

import (
	"encoding/base64"
	"html"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	gmailapi "google.golang.org/api/gmail/v1"
)

// This file reads Gmail's Message resource: headers, the text and HTML bodies, and the
// attachments of a payload.

// header returns the first value of a header of p, case-insensitively.
func header(p *gmailapi.MessagePart, name string) string {
	if p == nil {
		return ""
	}
	for _, h := range p.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// decodeData decodes a body's data field (base64url, padded or not).
func decodeData(s string) []byte {
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b
		}
	}
	return nil
}

// partText returns a text part's content as UTF-8: Gmail hands out the part's own charset,
// so bytes that are not UTF-8 are read as Latin-1 (a superset of the common legacy case).
func partText(p *gmailapi.MessagePart) string {
	if p.Body == nil || p.Body.Data == "" {
		return ""
	}
	b := decodeData(p.Body.Data)
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// isAttachment reports whether a part is a file rather than a body.
func isAttachment(p *gmailapi.MessagePart) bool {
	if p.Filename != "" {
		return true
	}
	disp, _, _ := mime.ParseMediaType(header(p, "Content-Disposition"))
	return disp == "attachment"
}

// findPart returns the first body part (not an attachment) of the media type, depth first.
func findPart(p *gmailapi.MessagePart, mediaType string) *gmailapi.MessagePart {
	if p == nil {
		return nil
	}
	if len(p.Parts) == 0 {
		if strings.EqualFold(p.MimeType, mediaType) && !isAttachment(p) {
			return p
		}
		return nil
	}
	for _, c := range p.Parts {
		if f := findPart(c, mediaType); f != nil {
			return f
		}
	}
	return nil
}

// plainBody returns the text/plain body, or the text of the HTML body when there is none.
func plainBody(p *gmailapi.MessagePart) string {
	if t := findPart(p, "text/plain"); t != nil {
		return normalizeNewlines(partText(t))
	}
	if h := findPart(p, "text/html"); h != nil {
		return htmlToText(partText(h))
	}
	return ""
}

// htmlBody returns the text/html body, if any.
func htmlBody(p *gmailapi.MessagePart) string {
	if h := findPart(p, "text/html"); h != nil {
		return partText(h)
	}
	return ""
}

func normalizeNewlines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

var (
	reDropBlocks = regexp.MustCompile(`(?is)<(script|style|head)\b.*?</(script|style|head)\s*>`)
	reBreaks     = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/h[1-6]|/li|/tr|/blockquote)\b[^>]*>`)
	reTags       = regexp.MustCompile(`(?s)<[^>]*>`)
	reBlankRuns  = regexp.MustCompile(`\n{3,}`)
	reSpaceRuns  = regexp.MustCompile(`[ \t]+`)
)

// htmlToText renders HTML as readable plain text: block ends become line breaks, tags go,
// entities are decoded.
func htmlToText(s string) string {
	s = reDropBlocks.ReplaceAllString(s, "")
	s = normalizeNewlines(s)
	s = strings.ReplaceAll(s, "\n", " ")
	s = reBreaks.ReplaceAllString(s, "\n")
	s = reTags.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(reSpaceRuns.ReplaceAllString(l, " "))
	}
	s = strings.Join(lines, "\n")
	return strings.TrimSpace(reBlankRuns.ReplaceAllString(s, "\n\n"))
}

// Attachment describes a file attached to a message.
type Attachment struct {
	Filename     string `json:"filename" jsonschema:"The file name; pass it to download_gmail_attachment."`
	MimeType     string `json:"mime_type"`
	Size         int64  `json:"size" jsonschema:"Size in bytes."`
	AttachmentID string `json:"attachment_id,omitempty" jsonschema:"Gmail's attachment id (it can change between reads; download by filename)."`
}

// attachmentParts returns the attachment parts of a payload, depth first.
func attachmentParts(p *gmailapi.MessagePart) []*gmailapi.MessagePart {
	if p == nil {
		return nil
	}
	var out []*gmailapi.MessagePart
	if len(p.Parts) == 0 {
		if isAttachment(p) {
			out = append(out, p)
		}
		return out
	}
	for _, c := range p.Parts {
		out = append(out, attachmentParts(c)...)
	}
	return out
}

func attachmentsOf(p *gmailapi.MessagePart) []Attachment {
	var out []Attachment
	for _, a := range attachmentParts(p) {
		info := Attachment{Filename: a.Filename, MimeType: a.MimeType}
		if a.Body != nil {
			info.Size, info.AttachmentID = a.Body.Size, a.Body.AttachmentId
		}
		out = append(out, info)
	}
	return out
}
