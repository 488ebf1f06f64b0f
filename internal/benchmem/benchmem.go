// Package benchmem measures a benchmark's peak memory: the growth of the process's peak RSS
// (VmHWM, reset through /proc/self/clear_refs) over its RSS at the start, and the peak of the Go
// heap (objects plus unused spans) sampled every millisecond. Only benchmarks import it. On a
// system without /proc it reports the heap peak alone.
package benchmem

import (
	"bufio"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Peak is one measurement, from Start to Report.
type Peak struct {
	rssStart int64
	heapPeak uint64
	stop     chan struct{}
	done     sync.WaitGroup
}

// Start collects garbage, resets the RSS high-water mark and starts sampling the heap.
func Start() *Peak {
	runtime.GC()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM to the current RSS
	p := &Peak{rssStart: procStatus("VmRSS"), stop: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	p.done.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64() + sample[1].Value.Uint64(); v > p.heapPeak {
				p.heapPeak = v
			}
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	})
	return p
}

// Report stops sampling and records peak-MB (RSS growth) and heap-peak-MB on b.
func (p *Peak) Report(b *testing.B) {
	close(p.stop)
	p.done.Wait()
	if hwm := procStatus("VmHWM"); hwm > 0 && p.rssStart > 0 {
		b.ReportMetric(float64(hwm-p.rssStart)/(1<<20), "peak-MB")
	}
	b.ReportMetric(float64(p.heapPeak)/(1<<20), "heap-peak-MB")
}

// procStatus reads a "kB" line of /proc/self/status in bytes (0 when unavailable).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}
