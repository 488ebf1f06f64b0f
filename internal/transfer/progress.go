package transfer

import (
	"io"
	"time"
)

// Progress throttling: a report at most every ProgressEvery bytes or ProgressInterval,
// whichever comes first, and always one at the end.
const (
	ProgressEvery    = 1 << 20
	ProgressInterval = 250 * time.Millisecond
)

// ProgressReader wraps r so that report(done, total) is called as bytes are read: when at
// least ProgressEvery bytes or ProgressInterval passed since the last report, and once at
// EOF. total is the expected size (-1 when unknown). report runs on the reading goroutine;
// keep it quick (an MCP progress notification is fine).
func ProgressReader(r io.Reader, total int64, report func(done, total int64)) io.Reader {
	return &progressReader{r: r, total: total, report: report, now: time.Now}
}

type progressReader struct {
	r          io.Reader
	total      int64
	report     func(done, total int64)
	now        func() time.Time
	done, last int64
	lastAt     time.Time
	finished   bool
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	switch {
	case err == io.EOF:
		if !p.finished {
			p.finished = true
			p.emit()
		}
	case n > 0:
		now := p.now()
		if p.lastAt.IsZero() {
			p.lastAt = now
		}
		if p.done-p.last >= ProgressEvery || now.Sub(p.lastAt) >= ProgressInterval {
			p.lastAt = now
			p.emit()
		}
	}
	return n, err
}

func (p *progressReader) emit() {
	p.last = p.done
	if p.report != nil {
		p.report(p.done, p.total)
	}
}
