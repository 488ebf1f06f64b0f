package drive

import (
	"archive/zip"
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
)

// This file extracts the text of Office Open XML files (docx, xlsx, pptx): it unzips them and
// reads the XML text runs, bounded in input (maxOfficeEntry decompressed bytes per part and
// maxOfficeTotal in all, which also defuses zip bombs) and in output (the caller's limit).

const (
	mimeDocx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	mimeXlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	mimePptx = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

	maxOfficeEntry = 16 << 20
	maxOfficeTotal = 48 << 20 // decompressed bytes read from all parts together
	maxOfficeParts = 500
)

var errNotOffice = errors.New("drive: not a readable Office file")

// textBuilder collects text up to a limit, and meters the decompressed input.
type textBuilder struct {
	b     strings.Builder
	limit int
	full  bool // the output limit or the input budget was reached: the text is cut
	left  int64
}

// open returns a part's decompressed content, bounded by the part and the total budgets.
func (t *textBuilder) open(zr *zip.Reader, name string) (io.ReadCloser, error) {
	f, err := zr.Open(name)
	if err != nil {
		return nil, errNotOffice
	}
	return struct {
		io.Reader
		io.Closer
	}{&budgetReader{r: f, t: t, part: maxOfficeEntry}, f}, nil
}

// budgetReader stops at the part's and the total input budget, marking the text as cut.
type budgetReader struct {
	r    io.Reader
	t    *textBuilder
	part int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	left := min(b.part, b.t.left)
	if left <= 0 {
		b.t.full = true
		return 0, io.EOF
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.r.Read(p)
	b.t.left -= int64(n)
	b.part -= int64(n)
	return n, err
}

func (t *textBuilder) add(s string) {
	if t.full {
		return
	}
	if t.b.Len()+len(s) > t.limit {
		s = cutUTF8(s, t.limit-t.b.Len())
		t.full = true
	}
	t.b.WriteString(s)
}

// officeText returns the text of an Office file, and whether it was cut at limit bytes.
func officeText(data []byte, mime string, limit int) (string, bool, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", false, errNotOffice
	}
	t := &textBuilder{limit: limit, left: maxOfficeTotal}
	switch mime {
	case mimeDocx:
		err = xmlText(zr, "word/document.xml", t, docxHandler())
	case mimePptx:
		for i, name := range numbered(zr, "ppt/slides/slide") {
			if i > 0 {
				t.add("\n\n")
			}
			t.add("Slide " + strconv.Itoa(i+1) + ":\n")
			if err = xmlText(zr, name, t, pptxHandler()); err != nil || t.full {
				break
			}
		}
	case mimeXlsx:
		err = xlsxText(zr, t)
	default:
		return "", false, errNotOffice
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimSpace(t.b.String()), t.full, nil
}

// numbered returns the parts named prefix<N>.xml in numeric order.
func numbered(zr *zip.Reader, prefix string) []string {
	type part struct {
		n    int
		name string
	}
	var parts []part
	for _, f := range zr.File {
		rest, ok := strings.CutPrefix(f.Name, prefix)
		if !ok {
			continue
		}
		num, ok := strings.CutSuffix(rest, ".xml")
		if n, err := strconv.Atoi(num); ok && err == nil {
			parts = append(parts, part{n, f.Name})
		}
	}
	slices.SortFunc(parts, func(a, b part) int { return cmp.Compare(a.n, b.n) })
	var out []string
	for _, p := range parts[:min(len(parts), maxOfficeParts)] {
		out = append(out, p.name)
	}
	return out
}

// xmlHandler reacts to the tokens of one part.
type xmlHandler func(tok xml.Token, t *textBuilder) (textStart, textEnd bool)

// xmlText streams one part through h; a missing part is an error.
func xmlText(zr *zip.Reader, name string, t *textBuilder, h xmlHandler) error {
	f, err := t.open(zr, name)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	inText := false
	for !t.full {
		tok, err := dec.Token()
		if err == io.EOF || (err != nil && t.full) {
			return nil
		}
		if err != nil {
			return errNotOffice
		}
		if cd, ok := tok.(xml.CharData); ok && inText {
			t.add(string(cd))
			continue
		}
		start, end := h(tok, t)
		if start {
			inText = true
		}
		if end {
			inText = false
		}
	}
	return nil
}

// docxHandler: text runs are w:t; w:p ends a paragraph, w:tab and w:br are whitespace.
func docxHandler() xmlHandler {
	return func(tok xml.Token, t *textBuilder) (bool, bool) {
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "t":
				return true, false
			case "tab":
				t.add("\t")
			case "br", "cr":
				t.add("\n")
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "t":
				return false, true
			case "p":
				t.add("\n")
			}
		}
		return false, false
	}
}

// pptxHandler: text runs are a:t; a:p ends a paragraph.
func pptxHandler() xmlHandler {
	return func(tok xml.Token, t *textBuilder) (bool, bool) {
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Local == "t" {
				return true, false
			}
			if e.Name.Local == "br" {
				t.add("\n")
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "t":
				return false, true
			case "p":
				t.add("\n")
			}
		}
		return false, false
	}
}

// xlsxText writes every worksheet as tab-separated rows, resolving shared strings.
func xlsxText(zr *zip.Reader, t *textBuilder) error {
	var shared []string
	if f, err := t.open(zr, "xl/sharedStrings.xml"); err == nil {
		shared, err = sharedStrings(f)
		f.Close()
		if err != nil && !t.full {
			return err
		}
	}
	for i, name := range numbered(zr, "xl/worksheets/sheet") {
		if i > 0 {
			t.add("\n")
		}
		t.add("Sheet " + strconv.Itoa(i+1) + ":\n")
		if err := sheetText(zr, name, shared, t); err != nil || t.full {
			return err
		}
	}
	return nil
}

func sharedStrings(r io.Reader) ([]string, error) {
	dec := xml.NewDecoder(r)
	var out []string
	var cur strings.Builder
	inT := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, errNotOffice
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "si":
				cur.Reset()
			case "t":
				inT = true
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "si":
				out = append(out, cur.String())
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				cur.Write(e)
			}
		}
	}
}

func sheetText(zr *zip.Reader, name string, shared []string, t *textBuilder) error {
	f, err := t.open(zr, name)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	var row []string
	var cellType string
	var val strings.Builder
	inVal := false
	for !t.full {
		tok, err := dec.Token()
		if err == io.EOF || (err != nil && t.full) {
			return nil
		}
		if err != nil {
			return errNotOffice
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "row":
				row = row[:0]
			case "c":
				cellType = ""
				for _, a := range e.Attr {
					if a.Name.Local == "t" {
						cellType = a.Value
					}
				}
				val.Reset()
			case "v", "t":
				inVal = true
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "v", "t":
				inVal = false
			case "c":
				v := val.String()
				if cellType == "s" {
					if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < len(shared) {
						v = shared[n]
					}
				}
				row = append(row, v)
			case "row":
				t.add(strings.Join(row, "\t") + "\n")
			}
		case xml.CharData:
			if inVal {
				val.Write(e)
			}
		}
	}
	return nil
}
