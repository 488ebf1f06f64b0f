package sandbox

import (
	"slices"
	"testing"
	"time"

	gcal "google.golang.org/api/calendar/v3"
)

func calBusy(fb gcal.FreeBusyCalendar) []string {
	var out []string
	for _, p := range fb.Busy {
		out = append(out, p.Start+"/"+p.End)
	}
	return out
}

func TestCalendarFreeBusy(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, alice, calScopeFreeBusy)
	query := func(from, to, tz string, ids ...string) *gcal.FreeBusyResponse {
		t.Helper()
		req := &gcal.FreeBusyRequest{TimeMin: from, TimeMax: to, TimeZone: tz}
		for _, id := range ids {
			req.Items = append(req.Items, &gcal.FreeBusyRequestItem{Id: id})
		}
		resp, err := svc.Freebusy.Query(req).Do()
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := query("2026-03-02T00:00:00Z", "2026-03-06T00:00:00Z", "", "primary", bob, carol, CalendarTeamBerlinID)
	tests := []struct {
		id   string
		busy []string
	}{
		// alice: the 1:1 (first instance) and the kickoff.
		{"primary", []string{"2026-03-02T19:00:00Z/2026-03-02T19:30:00Z", "2026-03-03T15:00:00Z/2026-03-03T16:00:00Z"}},
		// bob (shared free/busy): the 1:1 and kickoff he accepted, the dentist at the same time as
		// the kickoff (merged), and his Wednesday catch-up.
		{bob, []string{"2026-03-02T19:00:00Z/2026-03-02T19:30:00Z", "2026-03-03T15:00:00Z/2026-03-03T16:00:00Z",
			"2026-03-04T11:00:00Z/2026-03-04T11:30:00Z"}},
		// Team Berlin: Monday and Thursday stand-ups at 09:00 CET.
		{CalendarTeamBerlinID, []string{"2026-03-02T08:00:00Z/2026-03-02T08:15:00Z", "2026-03-05T08:00:00Z/2026-03-05T08:15:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got := resp.Calendars[tt.id]
			if len(got.Errors) != 0 || !slices.Equal(calBusy(got), tt.busy) {
				t.Fatalf("busy = %v errors %v, want %v", calBusy(got), got.Errors, tt.busy)
			}
		})
	}
	if c := resp.Calendars[carol]; len(c.Errors) != 1 || c.Errors[0].Reason != "notFound" || c.Errors[0].Domain != "global" || len(c.Busy) != 0 {
		t.Fatalf("carol = %+v", c)
	}
	if resp.Kind != "calendar#freeBusy" || resp.TimeMin != "2026-03-02T00:00:00Z" {
		t.Fatalf("response = %+v", resp)
	}

	// Recurring busy blocks across the European DST change, in the requested zone.
	resp = query("2026-03-26T00:00:00+01:00", "2026-03-31T00:00:00+02:00", "Europe/Berlin", CalendarTeamBerlinID)
	if got := calBusy(resp.Calendars[CalendarTeamBerlinID]); !slices.Equal(got, []string{
		"2026-03-26T09:00:00+01:00/2026-03-26T09:15:00+01:00", "2026-03-30T09:00:00+02:00/2026-03-30T09:15:00+02:00"}) {
		t.Fatalf("DST busy = %v", got)
	}
	// The EXDATE frees March 16; the transparent holiday is not busy; the offsite is, whole days.
	resp = query("2026-03-16T00:00:00-04:00", "2026-03-17T00:00:00-04:00", "", "primary")
	if got := calBusy(resp.Calendars["primary"]); len(got) != 0 {
		t.Fatalf("March 16 busy = %v", got)
	}
	resp = query("2026-03-08T12:00:00Z", "2026-03-13T00:00:00Z", "America/New_York", "primary")
	// (the 1:1 on March 9 and the review on March 10 fall inside the offsite and merge into it)
	if got := calBusy(resp.Calendars["primary"]); !slices.Equal(got, []string{"2026-03-09T00:00:00-04:00/2026-03-12T00:00:00-04:00"}) {
		t.Fatalf("offsite busy = %v", got)
	}
	// Busy blocks are clipped to the window.
	resp = query("2026-03-03T15:30:00Z", "2026-03-03T15:45:00Z", "", "primary")
	if got := calBusy(resp.Calendars["primary"]); !slices.Equal(got, []string{"2026-03-03T15:30:00Z/2026-03-03T15:45:00Z"}) {
		t.Fatalf("clipped = %v", got)
	}

	// dave sees nobody's free/busy but his own.
	resp2, err := calService(t, h, dave, calScopeReadonly).Freebusy.Query(&gcal.FreeBusyRequest{
		TimeMin: "2026-03-02T00:00:00Z", TimeMax: "2026-03-03T00:00:00Z",
		Items: []*gcal.FreeBusyRequestItem{{Id: alice}, {Id: "primary"}}}).Do()
	if err != nil || resp2.Calendars[alice].Errors[0].Reason != "notFound" || len(resp2.Calendars["primary"].Errors) != 0 {
		t.Fatalf("dave = %+v, %v", resp2, err)
	}

	bad := []struct {
		name   string
		req    *gcal.FreeBusyRequest
		reason string
	}{
		{"empty range", &gcal.FreeBusyRequest{TimeMin: "2026-03-02T00:00:00Z", TimeMax: "2026-03-02T00:00:00Z"}, "timeRangeEmpty"},
		{"missing timeMax", &gcal.FreeBusyRequest{TimeMin: "2026-03-02T00:00:00Z"}, "required"},
		{"no offset", &gcal.FreeBusyRequest{TimeMin: "2026-03-02T00:00:00", TimeMax: "2026-03-03T00:00:00Z"}, "badRequest"},
		{"bad time zone", &gcal.FreeBusyRequest{TimeMin: "2026-03-02T00:00:00Z", TimeMax: "2026-03-03T00:00:00Z", TimeZone: "Moon/Base"}, "invalid"},
		{"too many calendars", &gcal.FreeBusyRequest{TimeMin: "2026-03-02T00:00:00Z", TimeMax: "2026-03-03T00:00:00Z",
			Items: slices.Repeat([]*gcal.FreeBusyRequestItem{{Id: "primary"}}, 51)}, "tooManyCalendarsRequested"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Freebusy.Query(tt.req).Do()
			wantCalError(t, err, 400, tt.reason)
		})
	}
}

func TestCalendarAccessControl(t *testing.T) {
	h := newHarness(t)
	ins := func(s *gcal.Service, cal string) error {
		_, err := s.Events.Insert(cal, &gcal.Event{Summary: "x",
			Start: calTimed("2026-03-10T09:00:00Z", ""), End: calTimed("2026-03-10T10:00:00Z", "")}).Do()
		return err
	}
	list := func(s *gcal.Service, cal string) error {
		_, err := s.Events.List(cal).Do()
		return err
	}
	getKickoff := func(s *gcal.Service, cal string) error {
		_, err := s.Events.Get(cal, CalendarEventKickoff).Do()
		return err
	}
	tests := []struct {
		name   string
		who    string
		cal    string
		op     func(*gcal.Service, string) error
		code   int
		reason string
	}{
		{"carol cannot see alice's primary", carol, alice, list, 404, "notFound"},
		{"dave cannot see alice's primary", dave, alice, list, 404, "notFound"},
		{"dave cannot read an event of alice's by id", dave, alice, getKickoff, 404, "notFound"},
		{"dave cannot write to alice's primary", dave, alice, ins, 404, "notFound"},
		{"carol reads Team Berlin", carol, CalendarTeamBerlinID, list, 0, ""},
		{"carol cannot write to Team Berlin", carol, CalendarTeamBerlinID, ins, 403, "requiredAccessLevel"},
		{"bob writes to Team Berlin", bob, CalendarTeamBerlinID, ins, 0, ""},
		{"alice lists bob's free/busy view", alice, bob, list, 0, ""},
		{"alice cannot write to bob's calendar", alice, bob, ins, 403, "requiredAccessLevel"},
		{"bob cannot change alice's invitation", bob, "primary", func(s *gcal.Service, cal string) error {
			_, err := s.Events.Patch(cal, CalendarEventKickoff, &gcal.Event{Summary: "mine"}).Do()
			return err
		}, 403, "forbiddenForNonOrganizer"},
		{"bob cannot delete alice's invitation", bob, "primary", func(s *gcal.Service, cal string) error {
			return s.Events.Delete(cal, CalendarEventKickoff).Do()
		}, 403, "forbiddenForNonOrganizer"},
		{"carol cannot delete on alice's calendar", carol, alice, func(s *gcal.Service, cal string) error {
			return s.Events.Delete(cal, CalendarEventKickoff).Do()
		}, 404, "notFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op(calService(t, h, tt.who, calScopeFull), tt.cal)
			if tt.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCalError(t, err, tt.code, tt.reason)
		})
	}

	// A free/busy reader sees when, not what.
	svc := calService(t, h, alice, calScopeReadonly)
	l, err := svc.Events.List(bob).TimeMin("2026-03-03T00:00:00Z").TimeMax("2026-03-04T00:00:00Z").Do()
	if err != nil || l.AccessRole != "freeBusyReader" || len(l.Items) != 2 {
		t.Fatalf("bob's calendar for alice = %+v, %v", l, err)
	}
	for _, e := range l.Items {
		if e.Summary != "" || e.Description != "" || e.Location != "" || len(e.Attendees) != 0 || e.Start == nil || e.End == nil {
			t.Fatalf("free/busy view leaks %+v", e)
		}
	}
	if l, err := svc.Events.List(bob).Q("Dentist").Do(); err != nil || len(l.Items) != 0 {
		t.Fatalf("q over a free/busy view = %v, %v", l, err)
	}
	// bob sees alice's kickoff on his own calendar.
	b, err := calService(t, h, bob, calScopeReadonly).Events.Get("primary", CalendarEventKickoff).Do()
	if err != nil || b.Summary != "Project kickoff" || b.Organizer.Email != alice || b.Organizer.Self || !b.Attendees[0].Self {
		t.Fatalf("bob's kickoff = %+v, %v", b, err)
	}
	// carol reads Team Berlin but bob's private dentist stays hidden from a reader once shared.
	if err := h.sb.ShareCalendar(bob, "primary", carol, "reader"); err != nil {
		t.Fatal(err)
	}
	d, err := calService(t, h, carol, calScopeReadonly).Events.Get(bob, CalendarEventBobDentist).Do()
	if err != nil || d.Summary != "" || d.Visibility != "private" {
		t.Fatalf("private event for a reader = %+v, %v", d, err)
	}
	if err := h.sb.ShareCalendar(bob, "primary", carol, "owner"); err == nil {
		t.Fatal("sharing as owner accepted")
	}
	if err := h.sb.ShareCalendar(alice, bob, carol, "reader"); err == nil {
		t.Fatal("alice shared bob's calendar")
	}
}

func TestCalendarScopes(t *testing.T) {
	h := newHarness(t)
	insert := func(s *gcal.Service) error {
		_, err := s.Events.Insert("primary", &gcal.Event{Summary: "x",
			Start: calTimed("2026-03-10T09:00:00Z", ""), End: calTimed("2026-03-10T10:00:00Z", "")}).Do()
		return err
	}
	listEvents := func(s *gcal.Service) error { _, err := s.Events.List("primary").Do(); return err }
	listCals := func(s *gcal.Service) error { _, err := s.CalendarList.List().Do(); return err }
	newCal := func(s *gcal.Service) error {
		_, err := s.Calendars.Insert(&gcal.Calendar{Summary: "x"}).Do()
		return err
	}
	freeBusy := func(s *gcal.Service) error {
		_, err := s.Freebusy.Query(&gcal.FreeBusyRequest{TimeMin: "2026-03-02T00:00:00Z", TimeMax: "2026-03-03T00:00:00Z"}).Do()
		return err
	}
	tests := []struct {
		scope string
		op    func(*gcal.Service) error
		ok    bool
	}{
		{calScopeReadonly, insert, false},
		{calScopeReadonly, listEvents, true},
		{calScopeReadonly, listCals, true},
		{calScopeReadonly, freeBusy, true},
		{calScopeEventsRO, listEvents, true},
		{calScopeEventsRO, insert, false},
		{calScopeEventsRO, listCals, false},
		{calScopeEvents, insert, true},
		{calScopeEvents, newCal, false},
		{calScopeFull, newCal, true},
		{calScopeFreeBusy, freeBusy, true},
		{calScopeFreeBusy, listEvents, false},
		{scopeGmailRO, listEvents, false},
	}
	for i, tt := range tests {
		err := tt.op(calService(t, h, alice, tt.scope))
		switch {
		case tt.ok && err != nil:
			t.Errorf("%d %s: %v", i, tt.scope, err)
		case !tt.ok:
			wantCalError(t, err, 403, "insufficientPermissions")
		}
	}
	// No token, or a made-up one: 401.
	code, _, hdr := h.bearerGet("/calendar/v3/users/me/calendarList", "ya29.forged")
	if code != 401 || hdr.Get("WWW-Authenticate") == "" {
		t.Fatalf("forged token = %d", code)
	}
}

func TestCalendarScriptedFailures(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, alice, calScopeReadonly)
	h.sb.FailAPI("calendar", 1, APIFailure{Status: 429, RetryAfter: 2 * time.Second})
	_, err := svc.Events.List("primary").Do()
	wantCalError(t, err, 429, "rateLimitExceeded")
	if _, err := svc.Events.List("primary").Do(); err != nil {
		t.Fatalf("after the failure: %v", err)
	}
	h.sb.FailAPI("calendar", 1, APIFailure{Status: 503})
	_, err = svc.Freebusy.Query(&gcal.FreeBusyRequest{TimeMin: "2026-03-02T00:00:00Z", TimeMax: "2026-03-03T00:00:00Z"}).Do()
	wantCalError(t, err, 503, "backendError")
	if h.sb.APIFailuresServed() != 2 {
		t.Fatalf("served %d", h.sb.APIFailuresServed())
	}
}

func TestCalendarAccessorsAndSeed(t *testing.T) {
	h := newHarness(t)
	evs := h.sb.CalendarEvents(alice, "primary")
	if len(evs) != 6 {
		t.Fatalf("alice has %d events: %+v", len(evs), evs)
	}
	if h.sb.CalendarEvents(carol, alice) != nil {
		t.Fatal("carol sees alice's events through the accessor")
	}
	st := h.sb.CalendarEvents(bob, CalendarTeamBerlinID)
	if len(st) != 1 || st[0].ID != CalendarEventStandup || st[0].TimeZone != "Europe/Berlin" || st[0].Organizer != CalendarTeamBerlinID {
		t.Fatalf("Team Berlin = %+v", st)
	}
	// The seed depends only on the clock.
	h2 := newHarness(t)
	a, b := h.sb.CalendarEvents(alice, "primary"), h2.sb.CalendarEvents(alice, "primary")
	for i := range a {
		if a[i].ID != b[i].ID || !a[i].Start.Equal(b[i].Start) {
			t.Fatalf("seed differs: %+v vs %+v", a[i], b[i])
		}
	}
	// An account added later gets an empty primary calendar in UTC on first use.
	if err := h.sb.AddAccount(Account{Sub: "1", Email: "erin@sandbox.example"}); err != nil {
		t.Fatal(err)
	}
	l, err := calService(t, h, "erin@sandbox.example", calScopeReadonly).Events.List("primary").Do()
	if err != nil || l.TimeZone != "UTC" || len(l.Items) != 0 {
		t.Fatalf("erin = %+v, %v", l, err)
	}
}
