package sandbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html"
	"io"
	"mime"
	"mime/quotedprintable"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file parses RFC 2822 / MIME messages into the tree Gmail's API shows (payload,
// parts, headers in their original order, decoded bodies) and derives snippets.

// mimeHeader is one header field: its name, its value unfolded with RFC 2047 words decoded,
// and the field as it appeared in the message (folded, without the final line break).
type mimeHeader struct {
	Name  string
	Value string
	Raw   string
}

// mimePart is one node of a message's MIME tree.
type mimePart struct {
	partID    string
	headers   []mimeHeader
	mediaType string // lower case, e.g. text/plain
	params    map[string]string
	filename  string
	children  []*mimePart
	body      []byte // leaves only: the content with its transfer encoding removed
}

// maxMIMEDepth bounds multipart nesting so a hostile message cannot recurse forever.
const maxMIMEDepth = 16

var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "windows-1252", "cp1252":
		b, err := io.ReadAll(input)
		return strings.NewReader(latin1ToUTF8(b)), err
	}
	return nil, errors.New("unsupported charset " + charset)
}}

// decodeWords decodes RFC 2047 encoded words, keeping the text as is when it cannot.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

func latin1ToUTF8(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// splitHeaders separates a header block from the body. Lines may end in CRLF or LF. It
// fails on a line that is neither a field nor a continuation.
func splitHeaders(raw []byte) ([]mimeHeader, []byte, error) {
	var headers []mimeHeader
	pos := 0
	for pos < len(raw) {
		end := bytes.IndexByte(raw[pos:], '\n')
		next := len(raw)
		line := raw[pos:]
		if end >= 0 {
			line, next = raw[pos:pos+end], pos+end+1
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			return headers, raw[next:], nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(headers) == 0 {
				return nil, nil, errors.New("continuation line before the first header")
			}
			h := &headers[len(headers)-1]
			h.Raw += "\r\n" + string(line)
			h.Value += string(line)
			pos = next
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !validFieldName(name) {
			return nil, nil, errors.New("malformed header line")
		}
		headers = append(headers, mimeHeader{Name: string(name), Value: string(value), Raw: string(line)})
		pos = next
	}
	return headers, nil, nil
}

func validFieldName(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// finishHeaders trims the values and decodes their encoded words.
func finishHeaders(hs []mimeHeader) {
	for i := range hs {
		hs[i].Value = decodeWords(strings.TrimSpace(hs[i].Value))
	}
}

// headerValue returns the first value of the named header, case-insensitively.
func headerValue(hs []mimeHeader, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return strings.TrimSpace(h.Value)
		}
	}
	return ""
}

// parseMIME parses a whole message.
func parseMIME(raw []byte) (*mimePart, error) {
	hs, body, err := splitHeaders(raw)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, errors.New("no header fields")
	}
	return buildPart(hs, body, "", 0), nil
}

func buildPart(hs []mimeHeader, body []byte, id string, depth int) *mimePart {
	finishHeaders(hs)
	p := &mimePart{partID: id, headers: hs, mediaType: "text/plain", params: map[string]string{}}
	if ct := headerValue(hs, "Content-Type"); ct != "" {
		if mt, params, err := mime.ParseMediaType(ct); err == nil {
			p.mediaType, p.params = mt, params
		}
	}
	if cd := headerValue(hs, "Content-Disposition"); cd != "" {
		if _, params, err := mime.ParseMediaType(cd); err == nil {
			p.filename = decodeWords(params["filename"])
		}
	}
	if p.filename == "" {
		p.filename = decodeWords(p.params["name"])
	}
	if strings.HasPrefix(p.mediaType, "multipart/") && p.params["boundary"] != "" && depth < maxMIMEDepth {
		for i, raw := range splitMultipart(body, p.params["boundary"]) {
			chs, cbody, err := splitHeaders(raw)
			if err != nil {
				// RFC 2046: a part without headers is plain text.
				chs, cbody = nil, raw
			}
			cid := strconv.Itoa(i)
			if id != "" {
				cid = id + "." + cid
			}
			p.children = append(p.children, buildPart(chs, cbody, cid, depth+1))
		}
		return p
	}
	if strings.HasPrefix(p.mediaType, "multipart/") {
		p.mediaType = "text/plain"
	}
	p.body = decodeTransfer(headerValue(hs, "Content-Transfer-Encoding"), body)
	return p
}

// splitMultipart returns the body parts between the boundary delimiters (RFC 2046 5.1.1),
// ignoring preamble and epilogue. A missing close delimiter ends the last part at the end.
func splitMultipart(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1
	pos := 0
	for pos <= len(body) {
		end := bytes.IndexByte(body[pos:], '\n')
		line, next := body[pos:], len(body)+1
		if end >= 0 {
			line, next = body[pos:pos+end], pos+end+1
		}
		trimmed := bytes.TrimRight(line, " \t\r")
		if rest, ok := bytes.CutPrefix(trimmed, delim); ok && (len(rest) == 0 || string(rest) == "--") {
			if start >= 0 {
				e := pos
				if e > start && body[e-1] == '\n' {
					e--
					if e > start && body[e-1] == '\r' {
						e--
					}
				}
				parts = append(parts, body[start:e])
			}
			if len(rest) > 0 {
				return parts
			}
			start = min(next, len(body))
		}
		pos = next
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}

// decodeTransfer removes a Content-Transfer-Encoding, leniently as mail readers do.
func decodeTransfer(cte string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, body)
		clean = bytes.TrimRight(clean, "=")
		out, err := base64.RawStdEncoding.DecodeString(string(clean))
		if err != nil {
			return body
		}
		return out
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			return body
		}
		return out
	}
	return body
}

// walk calls f for every part, depth first.
func (p *mimePart) walk(f func(*mimePart)) {
	f(p)
	for _, c := range p.children {
		c.walk(f)
	}
}

// isAttachment reports whether Gmail shows the part as an attachment: a leaf with a name.
func (p *mimePart) isAttachment() bool { return len(p.children) == 0 && p.filename != "" }

// text returns the part's body as UTF-8 text.
func (p *mimePart) text() string {
	if cs := strings.ToLower(p.params["charset"]); cs == "iso-8859-1" || cs == "latin1" || cs == "windows-1252" {
		return latin1ToUTF8(p.body)
	}
	if !utf8.Valid(p.body) {
		return strings.ToValidUTF8(string(p.body), "\uFFFD")
	}
	return string(p.body)
}

// bodyText returns the first text/plain part that is not an attachment, else the first
// text/html part with its markup removed.
func (p *mimePart) bodyText() string {
	var plain, htm *mimePart
	p.walk(func(q *mimePart) {
		if q.isAttachment() || len(q.children) > 0 {
			return
		}
		switch q.mediaType {
		case "text/plain":
			if plain == nil {
				plain = q
			}
		case "text/html":
			if htm == nil {
				htm = q
			}
		}
	})
	switch {
	case plain != nil:
		return plain.text()
	case htm != nil:
		return stripHTML(htm.text())
	}
	return ""
}

// stripHTML drops tags, scripts and styles and unescapes entities.
func stripHTML(s string) string {
	var sb strings.Builder
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			sb.WriteString(s)
			break
		}
		sb.WriteString(s[:lt])
		s = s[lt:]
		lower := strings.ToLower(s)
		for _, skip := range []string{"script", "style"} {
			if strings.HasPrefix(lower, "<"+skip) {
				if end := strings.Index(lower, "</"+skip+">"); end >= 0 {
					s = s[end:]
					lower = lower[end:]
				}
			}
		}
		gt := strings.IndexByte(s, '>')
		if gt < 0 {
			break
		}
		sb.WriteByte(' ')
		s = s[gt+1:]
	}
	return html.UnescapeString(sb.String())
}

// snippetOf makes Gmail's snippet: the start of the body text with whitespace collapsed,
// at most 200 characters, HTML-escaped as Gmail returns it.
func snippetOf(p *mimePart) string {
	text := strings.Join(strings.Fields(p.bodyText()), " ")
	if r := []rune(text); len(r) > 200 {
		text = string(r[:200])
	}
	return html.EscapeString(text)
}
