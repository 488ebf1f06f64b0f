package transfer_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/gwmcp/gwmcp/internal/transfer"
)

func TestProgressReader(t *testing.T) {
	const size = 5*transfer.ProgressEvery + 123
	var reports [][2]int64
	r := transfer.ProgressReader(bytes.NewReader(make([]byte, size)), size, func(done, total int64) {
		reports = append(reports, [2]int64{done, total})
	})
	n, err := io.CopyBuffer(io.Discard, r, make([]byte, 32<<10))
	if err != nil || n != size {
		t.Fatalf("copied %d, %v", n, err)
	}
	if len(reports) < 5 || len(reports) > 7 {
		t.Fatalf("%d reports for %d bytes, want about one per MiB: %v", len(reports), size, reports)
	}
	last := reports[len(reports)-1]
	if last != [2]int64{size, size} {
		t.Errorf("last report %v, want done = total = %d", last, size)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i][0] < reports[i-1][0] {
			t.Errorf("progress went backwards: %v", reports)
		}
	}
	// Reading past EOF again does not report twice.
	_, _ = r.Read(make([]byte, 1))
	if reports[len(reports)-1] != last || len(reports) > 7 {
		t.Error("a second EOF reported again")
	}
}
