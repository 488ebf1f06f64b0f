package sandbox

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"slices"
	"strings"
)

// This file holds the content of Google-native files (Docs, Sheets, Slides), what files.export
// turns it into, and the conversion of uploaded text into native files.

// driveDocBlock is one paragraph of a Google Doc.
type driveDocBlock struct {
	style string // "title", "h1", "h2", "p" or "li"
	text  string
}

// driveSlide is one slide of a Google Slides deck.
type driveSlide struct {
	title   string
	bullets []string
}

func driveIsNative(mime string) bool { return strings.HasPrefix(mime, "application/vnd.google-apps.") }

// Export formats per native type, as files.export accepts them here. Google supports more
// (docx, xlsx, pptx, odt, epub ...); those answer 400 "The requested conversion is not supported."
var driveExportFormats = map[string][]string{
	MimeDocument:     {"text/plain", "text/markdown", "text/html", "application/pdf"},
	MimeSpreadsheet:  {"text/csv", "text/tab-separated-values", "application/pdf"},
	MimePresentation: {"text/plain", "application/pdf"},
}

// export renders a native file in the requested format; ok is false for an unsupported one.
func (f *driveFile) export(mime string) ([]byte, bool) {
	if !slices.Contains(driveExportFormats[f.mimeType], mime) {
		return nil, false
	}
	switch mime {
	case "application/pdf":
		return driveMinimalPDF(f.name, strings.Split(strings.TrimPrefix(string(f.plainText()), "\ufeff"), "\r\n")), true
	case "text/plain":
		return f.plainText(), true
	case "text/markdown":
		return f.markdown(), true
	case "text/html":
		return f.html(), true
	case "text/csv", "text/tab-separated-values":
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if mime == "text/tab-separated-values" {
			w.Comma = '\t'
		}
		_ = w.WriteAll(f.sheet) // writing to a bytes.Buffer cannot fail
		return buf.Bytes(), true
	}
	return nil, false
}

// plainText is Google's text/plain export: a UTF-8 byte order mark, then CRLF-separated lines.
func (f *driveFile) plainText() []byte {
	var lines []string
	switch f.mimeType {
	case MimeDocument:
		for _, b := range f.doc {
			if b.style == "li" {
				lines = append(lines, "* "+b.text)
			} else {
				lines = append(lines, b.text)
			}
		}
	case MimePresentation:
		for i, s := range f.slides {
			if i > 0 {
				lines = append(lines, "")
			}
			lines = append(lines, s.title)
			lines = append(lines, s.bullets...)
		}
	case MimeSpreadsheet:
		for _, row := range f.sheet {
			lines = append(lines, strings.Join(row, "\t"))
		}
	}
	return []byte("\ufeff" + strings.Join(lines, "\r\n"))
}

func (f *driveFile) markdown() []byte {
	var b strings.Builder
	for i, blk := range f.doc {
		if i > 0 && !(blk.style == "li" && f.doc[i-1].style == "li") {
			b.WriteString("\n")
		}
		switch blk.style {
		case "title":
			b.WriteString("# " + blk.text + "\n")
		case "h1":
			b.WriteString("## " + blk.text + "\n")
		case "h2":
			b.WriteString("### " + blk.text + "\n")
		case "li":
			b.WriteString("* " + blk.text + "\n")
		default:
			b.WriteString(blk.text + "\n")
		}
	}
	return []byte(b.String())
}

func (f *driveFile) html() []byte {
	var b strings.Builder
	b.WriteString(`<html><head><meta content="text/html; charset=UTF-8" http-equiv="content-type"><title>`)
	b.WriteString(html.EscapeString(f.name))
	b.WriteString(`</title></head><body>`)
	inList := false
	for _, blk := range f.doc {
		if blk.style == "li" && !inList {
			b.WriteString("<ul>")
			inList = true
		}
		if blk.style != "li" && inList {
			b.WriteString("</ul>")
			inList = false
		}
		t := html.EscapeString(blk.text)
		switch blk.style {
		case "title":
			b.WriteString(`<p class="title"><span>` + t + "</span></p>")
		case "h1":
			b.WriteString("<h1><span>" + t + "</span></h1>")
		case "h2":
			b.WriteString("<h2><span>" + t + "</span></h2>")
		case "li":
			b.WriteString("<li><span>" + t + "</span></li>")
		default:
			b.WriteString("<p><span>" + t + "</span></p>")
		}
	}
	if inList {
		b.WriteString("</ul>")
	}
	b.WriteString("</body></html>")
	return []byte(b.String())
}

// searchText is what fullText queries look through besides name and description: the text of
// native files and of binary files with a text type.
func (f *driveFile) searchText() string {
	if driveIsNative(f.mimeType) {
		return strings.TrimPrefix(string(f.plainText()), "\ufeff")
	}
	if strings.HasPrefix(f.mimeType, "text/") || f.mimeType == "application/json" {
		return string(f.content)
	}
	return ""
}

// importContent converts uploaded media into a native file's content, as Google does when
// files.create names a Google type with media of a convertible type. ok is false when the
// media type cannot become that native type.
func (f *driveFile) importContent(media []byte, mediaType string) bool {
	mediaType, _, _ = strings.Cut(mediaType, ";")
	text := strings.ReplaceAll(strings.TrimPrefix(string(media), "\ufeff"), "\r\n", "\n")
	switch f.mimeType {
	case MimeDocument:
		if mediaType != "text/plain" && mediaType != "text/markdown" && mediaType != "text/html" {
			return false
		}
		f.doc = nil
		for line := range strings.SplitSeq(text, "\n") {
			line = strings.TrimRight(line, " ")
			if line == "" {
				continue
			}
			blk := driveDocBlock{style: "p", text: line}
			switch {
			case strings.HasPrefix(line, "# "):
				blk = driveDocBlock{style: "title", text: line[2:]}
			case strings.HasPrefix(line, "## "):
				blk = driveDocBlock{style: "h1", text: line[3:]}
			case strings.HasPrefix(line, "### "):
				blk = driveDocBlock{style: "h2", text: line[4:]}
			case strings.HasPrefix(line, "* "), strings.HasPrefix(line, "- "):
				blk = driveDocBlock{style: "li", text: line[2:]}
			}
			f.doc = append(f.doc, blk)
		}
		return true
	case MimeSpreadsheet:
		if mediaType != "text/csv" && mediaType != "text/tab-separated-values" {
			return false
		}
		r := csv.NewReader(strings.NewReader(text))
		r.FieldsPerRecord = -1
		if mediaType == "text/tab-separated-values" {
			r.Comma = '\t'
		}
		rows, err := r.ReadAll()
		if err != nil {
			return false
		}
		f.sheet = rows
		return true
	case MimePresentation:
		if mediaType != "text/plain" {
			return false
		}
		f.slides = nil
		for chunk := range strings.SplitSeq(text, "\n\n") {
			lines := strings.Split(strings.TrimSpace(chunk), "\n")
			if len(lines) == 0 || lines[0] == "" {
				continue
			}
			f.slides = append(f.slides, driveSlide{title: lines[0], bullets: lines[1:]})
		}
		return true
	}
	return false
}

// minimalPDF renders lines of text as a small valid PDF (one page per 50 lines, Helvetica).
func driveMinimalPDF(title string, lines []string) []byte {
	const perPage = 50
	var pages [][]string
	for len(lines) > 0 {
		n := min(perPage, len(lines))
		pages = append(pages, lines[:n])
		lines = lines[n:]
	}
	if len(pages) == 0 {
		pages = [][]string{{""}}
	}
	esc := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`)
	var objs []string
	// 1 catalog, 2 pages, 3 font, then per page: page object and content stream.
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	objs = append(objs, "<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	for i, page := range pages {
		var s strings.Builder
		s.WriteString("BT /F1 11 Tf 56 790 Td 14 TL\n")
		for _, l := range page {
			// Helvetica's standard encoding covers ASCII; other runes become '?'.
			ascii := strings.Map(func(r rune) rune {
				if r < 32 || r > 126 {
					return '?'
				}
				return r
			}, l)
			s.WriteString("(" + esc.Replace(ascii) + ") Tj T*\n")
		}
		s.WriteString("ET")
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", s.Len(), s.String()))
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info << /Title (%s) >> >>\nstartxref\n%d\n%%%%EOF\n",
		len(objs)+1, esc.Replace(title), xref)
	return b.Bytes()
}
