package sandbox

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	gcal "google.golang.org/api/calendar/v3"
)

func TestCalendarConcurrentUse(t *testing.T) {
	h := newHarness(t)
	var wg sync.WaitGroup
	for i, who := range []string{alice, bob, alice, bob} {
		svc := calService(t, h, who, calScopeFull)
		wg.Go(func() {
			for j := range 10 {
				if _, err := svc.Events.Insert(CalendarTeamBerlinID, &gcal.Event{Summary: "load",
					Start: calTimed("2026-03-10T09:00:00Z", ""), End: calTimed("2026-03-10T10:00:00Z", "")}).Do(); err != nil {
					t.Errorf("insert %d/%d: %v", i, j, err)
				}
				if _, err := svc.Events.List(CalendarTeamBerlinID).SingleEvents(true).TimeMin("2026-03-01T00:00:00Z").TimeMax("2026-04-01T00:00:00Z").Do(); err != nil {
					t.Errorf("list: %v", err)
				}
				if _, err := svc.Freebusy.Query(&gcal.FreeBusyRequest{TimeMin: "2026-03-01T00:00:00Z", TimeMax: "2026-04-01T00:00:00Z",
					Items: []*gcal.FreeBusyRequestItem{{Id: CalendarTeamBerlinID}}}).Do(); err != nil {
					t.Errorf("freebusy: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if n := len(h.sb.CalendarEvents(alice, CalendarTeamBerlinID)); n != 41 {
		t.Fatalf("%d events, want 41", n)
	}
}

// BenchmarkCalendarEventsList measures events.list over one year of alice's primary
// calendar and Team Berlin, recurring events expanded and ordered, through the handler.
func BenchmarkCalendarEventsList(b *testing.B) {
	sb, err := New(Options{Clients: []Client{{ID: "bench", Desktop: true}},
		Now: func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }})
	if err != nil {
		b.Fatal(err)
	}
	ts, err := sb.IssueTokens(alice, "bench", []string{calScopeReadonly})
	if err != nil {
		b.Fatal(err)
	}
	h := sb.Handler()
	for _, tc := range []struct{ name, path string }{
		{"team-berlin-year", "/calendar/v3/calendars/" + CalendarTeamBerlinID + "/events?singleEvents=true&orderBy=startTime&timeMin=2026-01-01T00:00:00Z&timeMax=2027-01-01T00:00:00Z"},
		{"primary-month", "/calendar/v3/calendars/primary/events?singleEvents=true&orderBy=startTime&timeMin=2026-03-01T00:00:00Z&timeMax=2026-04-01T00:00:00Z"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, tc.path, nil)
				req.Header.Set("Authorization", "Bearer "+ts.AccessToken.Reveal())
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Code, rec.Body.String())
				}
			}
		})
	}
}
