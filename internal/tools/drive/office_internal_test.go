package drive

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

// bomb builds a docx whose document.xml inflates to size bytes of markup with the given
// element repeated, compressing to a few hundred KiB.
func bomb(t *testing.T, elem string, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`<w:document xmlns:w="w"><w:body>`))
	chunk := []byte(strings.Repeat(elem, (1<<20)/len(elem)))
	for n := 0; n < size; n += len(chunk) {
		w.Write(chunk)
	}
	w.Write([]byte(`</w:body></w:document>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOfficeBounds(t *testing.T) {
	// Markup without text, far beyond the per-part budget: read up to the budget, then cut.
	data := bomb(t, "<w:x/>", 24<<20)
	if len(data) > 2<<20 {
		t.Fatalf("bomb is %d bytes compressed", len(data))
	}
	text, truncated, err := officeText(data, mimeDocx, 1000)
	if err != nil || !truncated || text != "" {
		t.Errorf("text-free bomb: %q, truncated %v, %v", text, truncated, err)
	}
	// Text beyond the output limit is cut at the limit.
	text, truncated, err = officeText(bomb(t, "<w:p><w:r><w:t>word</w:t></w:r></w:p>", 8<<20), mimeDocx, 1000)
	if err != nil || !truncated || len(text) > 1000 || !strings.HasPrefix(text, "word\nword") {
		t.Errorf("long text: %d bytes, truncated %v, %v", len(text), truncated, err)
	}
	// Not a zip, or a zip without the part: an error, never a panic.
	for _, bad := range [][]byte{nil, []byte("PK\x03\x04junk"), bomb(t, "<", 10)} {
		if _, _, err := officeText(bad, mimeDocx, 1000); err == nil {
			t.Errorf("%q accepted", bad[:min(len(bad), 20)])
		}
	}
	if _, _, err := officeText(bomb(t, "<w:p/>", 10), "application/pdf", 1000); err == nil {
		t.Error("a non-Office type was extracted")
	}
}
