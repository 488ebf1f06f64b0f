package credentials

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/gwmcp/gwmcp/internal/secret"
)

// TestConcurrentWritersLoseNothing runs 50 goroutines against one store: each adds its
// own scope to a shared account with Update, writes and reads back its own account
// many times, and reads the shared one. No update may be lost and no read may see a
// torn or foreign record.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	const workers, rounds = 50, 8
	for _, mode := range Modes {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			kr := testKeyring(t, 1)
			s := openStore(t, dir, mode, kr, nil)
			shared := "shared@example.com"
			if err := s.Put(bg, sampleCredential(shared, 0)); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make(chan error, workers*rounds*4)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					own := fmt.Sprintf("worker%d@example.com", w)
					for r := range rounds {
						c := sampleCredential(own, w)
						c.AccessToken = secret.New(fmt.Sprintf("ya29.%d.%d", w, r))
						if err := s.Put(bg, c); err != nil {
							errs <- err
							return
						}
						got, err := s.Get(bg, own)
						if err != nil {
							errs <- err
							return
						}
						if got.AccessToken.Reveal() != fmt.Sprintf("ya29.%d.%d", w, r) {
							errs <- fmt.Errorf("%s read %q after writing round %d", own, got.AccessToken.Reveal(), r)
						}
						if sc, err := s.Get(bg, shared); err != nil || sc.Email != shared {
							errs <- fmt.Errorf("shared read: %v", err)
						}
					}
					_, err := s.Update(bg, shared, func(c *Credential) error {
						c.Scopes = append(c.Scopes, fmt.Sprintf("scope-%d", w))
						return nil
					})
					if err != nil {
						errs <- err
					}
					if _, _, err := s.List(bg); err != nil {
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			check := func(s *Store) {
				got, err := s.Get(bg, shared)
				if err != nil {
					t.Fatal(err)
				}
				for w := range workers {
					if !slices.Contains(got.Scopes, fmt.Sprintf("scope-%d", w)) {
						t.Errorf("update of worker %d lost", w)
					}
				}
				list, problems, err := s.List(bg)
				if err != nil || len(problems) != 0 || len(list) != workers+1 {
					t.Fatalf("List: %d credentials, problems %v, %v", len(list), problems, err)
				}
				for w := range workers {
					c, err := s.Get(bg, fmt.Sprintf("worker%d@example.com", w))
					if err != nil || c.AccessToken.Reveal() != fmt.Sprintf("ya29.%d.%d", w, rounds-1) {
						t.Errorf("worker %d final state: %v", w, err)
					}
				}
			}
			check(s)
			if mode.Persistent() {
				s.Close()
				check(openStore(t, dir, mode, kr, nil)) // and on disk
			}
		})
	}
}
