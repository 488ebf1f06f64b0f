package storetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
)

// BenchOpenFunc returns a new, empty store for one benchmark. The benchmark closes it.
type BenchOpenFunc func(b *testing.B) store.Store

// benchValue is the size of a typical record: a grant or a session, serialised.
const benchValue = 256

// Benchmark measures Get, Set, Take and Update (and Get and Set through store.Sealed)
// on the stores open returns, with 256-byte values.
func Benchmark(b *testing.B, open BenchOpenFunc) {
	value := make([]byte, benchValue)
	for i := range value {
		value[i] = byte(i)
	}
	opened := func(b *testing.B, sealed bool) store.Store {
		s := open(b)
		b.Cleanup(func() { _ = s.Close() })
		if sealed {
			return store.Sealed(s, NewSealer())
		}
		return s
	}
	b.Run("Get", func(b *testing.B) { benchGet(b, opened(b, false), value) })
	b.Run("Set", func(b *testing.B) { benchSet(b, opened(b, false), value) })
	b.Run("Take", func(b *testing.B) {
		s := opened(b, false)
		ctx := b.Context()
		for i := range b.N {
			if err := s.Set(ctx, "code:"+strconv.Itoa(i), value, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.Take(ctx, "code:"+strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Update", func(b *testing.B) {
		s := opened(b, false)
		ctx := b.Context()
		fn := func(cur []byte, exists bool) ([]byte, time.Duration, error) {
			if exists && len(cur) > 0 {
				cur[0]++
				return cur, store.KeepTTL, nil
			}
			return value, time.Hour, nil
		}
		for b.Loop() {
			if err := s.Update(ctx, "session:1", fn); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SealedGet", func(b *testing.B) { benchGet(b, opened(b, true), value) })
	b.Run("SealedSet", func(b *testing.B) { benchSet(b, opened(b, true), value) })
}

func benchGet(b *testing.B, s store.Store, value []byte) {
	ctx := b.Context()
	if err := s.Set(ctx, "client:1", value, time.Hour); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, "client:1"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSet(b *testing.B, s store.Store, value []byte) {
	ctx := b.Context()
	i := 0
	for b.Loop() {
		i++
		if err := s.Set(ctx, "session:"+strconv.Itoa(i%1000), value, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
