package sandbox

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"
)

func calTimed(dt, tz string) *gcal.EventDateTime {
	return &gcal.EventDateTime{DateTime: dt, TimeZone: tz}
}

func TestCalendarInsertGetPatchUpdateDelete(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, alice, calScopeEvents)
	in := &gcal.Event{Summary: "Design review", Location: "Room 1", Description: "Bring the mock-ups",
		Start:     calTimed("2026-03-05T09:00:00", "America/New_York"),
		End:       calTimed("2026-03-05T10:00:00", "America/New_York"),
		Attendees: []*gcal.EventAttendee{{Email: carol}, {Email: "ext@partner.example", ResponseStatus: "tentative"}},
		Reminders: &gcal.EventReminders{Overrides: []*gcal.EventReminder{{Method: "popup", Minutes: 5}}, ForceSendFields: []string{"UseDefault"}},
	}
	e, err := svc.Events.Insert("primary", in).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !calValidEventID(e.Id) || e.Status != "confirmed" || e.Kind != "calendar#event" || e.EventType != "default" ||
		e.ICalUID != e.Id+"@google.com" || !strings.HasPrefix(e.HtmlLink, "https://www.google.com/calendar/event?eid=") ||
		e.Organizer == nil || e.Organizer.Email != alice || !e.Organizer.Self || e.Creator.Email != alice ||
		e.Start.DateTime != "2026-03-05T09:00:00-05:00" || e.Start.TimeZone != "America/New_York" ||
		e.Attendees[0].ResponseStatus != "needsAction" || e.Attendees[1].ResponseStatus != "tentative" ||
		e.Sequence != 0 || e.Etag == "" || e.Created == "" || e.Reminders.UseDefault || len(e.Reminders.Overrides) != 1 {
		t.Fatalf("inserted = %+v", e)
	}
	// carol sees the invitation on her own calendar, with herself marked.
	inv, err := calService(t, h, carol, calScopeEventsRO).Events.Get("primary", e.Id).Do()
	if err != nil || inv.Organizer.Self || !inv.Attendees[0].Self || inv.Summary != "Design review" {
		t.Fatalf("carol's copy = %+v, %v", inv, err)
	}

	// A conditional get of an unchanged event answers 304.
	cond := svc.Events.Get("primary", e.Id)
	cond.IfNoneMatch(e.Etag)
	if _, err := cond.Do(); !googleapi.IsNotModified(err) {
		t.Fatalf("If-None-Match: %v", err)
	}

	// A patch changes only what it names; moving the time bumps the sequence.
	p, err := svc.Events.Patch("primary", e.Id, &gcal.Event{Summary: "Design review (v2)"}).Do()
	if err != nil || p.Summary != "Design review (v2)" || p.Location != "Room 1" || p.Start.DateTime != e.Start.DateTime ||
		p.Sequence != 0 || p.Etag == e.Etag || len(p.Attendees) != 2 {
		t.Fatalf("patched = %+v, %v", p, err)
	}
	p2, err := svc.Events.Patch("primary", e.Id, &gcal.Event{Start: calTimed("2026-03-05T10:00:00-05:00", ""),
		End: calTimed("2026-03-05T11:00:00-05:00", ""), NullFields: []string{"Location"}}).Do()
	if err != nil || p2.Sequence != 1 || p2.Location != "" || p2.Start.TimeZone != "" || p2.Start.DateTime != "2026-03-05T10:00:00-05:00" {
		t.Fatalf("patched times = %+v, %v", p2, err)
	}

	// A stale ETag is refused with 412; the current one is accepted.
	stale := svc.Events.Patch("primary", e.Id, &gcal.Event{Summary: "lost update"})
	stale.Header().Set("If-Match", e.Etag)
	_, err = stale.Do()
	wantCalError(t, err, 412, "conditionNotMet")
	fresh := svc.Events.Update("primary", e.Id, &gcal.Event{Summary: "Replaced",
		Start: calTimed("2026-03-06T10:00:00Z", ""), End: calTimed("2026-03-06T10:30:00Z", "")})
	fresh.Header().Set("If-Match", p2.Etag)
	u, err := fresh.Do()
	if err != nil || u.Summary != "Replaced" || u.Description != "" || len(u.Attendees) != 0 || u.Id != e.Id ||
		u.Created != e.Created || u.Organizer.Email != alice || u.Sequence != 2 {
		t.Fatalf("updated = %+v, %v", u, err)
	}
	del := svc.Events.Delete("primary", e.Id)
	del.Header().Set("If-Match", p2.Etag)
	wantCalError(t, del.Do(), 412, "conditionNotMet")

	// Delete: the event stays readable as cancelled and only showDeleted lists it.
	if err := svc.Events.Delete("primary", e.Id).Do(); err != nil {
		t.Fatal(err)
	}
	g, err := svc.Events.Get("primary", e.Id).Do()
	if err != nil || g.Status != "cancelled" {
		t.Fatalf("deleted = %+v, %v", g, err)
	}
	wantCalError(t, svc.Events.Delete("primary", e.Id).Do(), 410, "deleted")
	window := func(showDeleted bool) []string {
		l, err := svc.Events.List("primary").TimeMin("2026-03-06T00:00:00Z").TimeMax("2026-03-07T00:00:00Z").ShowDeleted(showDeleted).Do()
		if err != nil {
			t.Fatal(err)
		}
		return eventIDs(l.Items)
	}
	if slices.Contains(window(false), e.Id) || !slices.Contains(window(true), e.Id) {
		t.Fatalf("showDeleted: %v / %v", window(false), window(true))
	}
	infos := h.sb.CalendarEvents(alice, "primary")
	i := slices.IndexFunc(infos, func(x CalendarEventInfo) bool { return x.ID == e.Id })
	if i < 0 || infos[i].Status != "cancelled" || infos[i].Summary != "Replaced" {
		t.Fatalf("CalendarEvents = %+v", infos)
	}

	// A client-chosen id is kept; reusing it is a conflict.
	mine := &gcal.Event{Id: "meeting00001", Summary: "x", Start: calTimed("2026-03-07T10:00:00Z", ""), End: calTimed("2026-03-07T11:00:00Z", "")}
	if got, err := svc.Events.Insert("primary", mine).Do(); err != nil || got.Id != "meeting00001" {
		t.Fatalf("insert with id = %+v, %v", got, err)
	}
	_, err = svc.Events.Insert("primary", mine).Do()
	wantCalError(t, err, 409, "duplicate")
}

func TestCalendarInsertValidation(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, alice, calScopeFull)
	ny := "America/New_York"
	tests := []struct {
		name   string
		ev     *gcal.Event
		reason string
		msg    string
	}{
		{"end before start", &gcal.Event{Start: calTimed("2026-03-05T10:00:00Z", ""), End: calTimed("2026-03-05T09:00:00Z", "")},
			"timeRangeEmpty", "The specified time range is empty."},
		{"all-day end not after start", &gcal.Event{Start: &gcal.EventDateTime{Date: "2026-03-05"}, End: &gcal.EventDateTime{Date: "2026-03-05"}},
			"timeRangeEmpty", ""},
		{"no offset and no time zone", &gcal.Event{Start: calTimed("2026-03-05T10:00:00", ""), End: calTimed("2026-03-05T11:00:00", ny)},
			"required", "Missing time zone definition for start time."},
		{"end without offset or zone", &gcal.Event{Start: calTimed("2026-03-05T10:00:00", ny), End: calTimed("2026-03-05T11:00:00", "")},
			"required", "Missing time zone definition for end time."},
		{"unknown time zone", &gcal.Event{Start: calTimed("2026-03-05T10:00:00", "Europe/Atlantis"), End: calTimed("2026-03-05T11:00:00", ny)},
			"invalid", ""},
		{"date and dateTime mixed", &gcal.Event{Start: &gcal.EventDateTime{Date: "2026-03-05"}, End: calTimed("2026-03-05T11:00:00Z", "")},
			"invalid", "Start and end times must either both be date or both be dateTime."},
		{"date and dateTime in one", &gcal.Event{Start: &gcal.EventDateTime{Date: "2026-03-05", DateTime: "2026-03-05T10:00:00Z"}, End: calTimed("2026-03-05T11:00:00Z", "")},
			"invalid", ""},
		{"missing end", &gcal.Event{Start: calTimed("2026-03-05T10:00:00Z", "")}, "required", "Missing end time."},
		{"garbage date", &gcal.Event{Start: &gcal.EventDateTime{Date: "5 March"}, End: &gcal.EventDateTime{Date: "2026-03-06"}}, "invalid", ""},
		{"recurring without time zone", &gcal.Event{Start: calTimed("2026-03-05T10:00:00Z", ""), End: calTimed("2026-03-05T11:00:00Z", ""),
			Recurrence: []string{"RRULE:FREQ=DAILY"}}, "required", "Missing time zone definition for start time."},
		{"bad rule", &gcal.Event{Start: calTimed("2026-03-05T10:00:00", ny), End: calTimed("2026-03-05T11:00:00", ny),
			Recurrence: []string{"RRULE:FREQ=HOURLY"}}, "invalid", "Invalid recurrence rule."},
		{"unsupported rule part", &gcal.Event{Start: calTimed("2026-03-05T10:00:00", ny), End: calTimed("2026-03-05T11:00:00", ny),
			Recurrence: []string{"RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO"}}, "invalid", ""},
		{"bad id", &gcal.Event{Id: "Not_Valid!", Start: calTimed("2026-03-05T10:00:00Z", ""), End: calTimed("2026-03-05T11:00:00Z", "")}, "invalid", ""},
		{"attendee without email", &gcal.Event{Start: calTimed("2026-03-05T10:00:00Z", ""), End: calTimed("2026-03-05T11:00:00Z", ""),
			Attendees: []*gcal.EventAttendee{{DisplayName: "Nobody"}}}, "required", ""},
		{"bad status", &gcal.Event{Status: "done", Start: calTimed("2026-03-05T10:00:00Z", ""), End: calTimed("2026-03-05T11:00:00Z", "")}, "invalid", ""},
		{"default reminders and overrides", &gcal.Event{Start: calTimed("2026-03-05T10:00:00Z", ""), End: calTimed("2026-03-05T11:00:00Z", ""),
			Reminders: &gcal.EventReminders{UseDefault: true, Overrides: []*gcal.EventReminder{{Method: "popup", Minutes: 1}}}},
			"cannotUseDefaultRemindersAndSpecifyOverride", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Events.Insert("primary", tt.ev).Do()
			wantCalError(t, err, 400, tt.reason)
			if ge := err.(*googleapi.Error); tt.msg != "" && ge.Message != tt.msg {
				t.Fatalf("message = %q, want %q", ge.Message, tt.msg)
			}
		})
	}

	// Malformed and oversized bodies get Google's 4xx, never a 5xx.
	ts, _ := h.sb.IssueTokens(alice, webClientID, []string{calScopeFull})
	for _, tc := range []struct {
		body string
		code int
	}{{"{not json", 400}, {`{"start": 7}`, 400}, {`{"summary":"` + strings.Repeat("a", 2<<20) + `"}`, 413}} {
		req, _ := http.NewRequest("POST", h.srv.URL+"/calendar/v3/calendars/primary/events", bytes.NewBufferString(tc.body))
		req.Header.Set("Authorization", "Bearer "+ts.AccessToken.Reveal())
		code, body, _ := h.do(req)
		if code != tc.code || body["error"] == nil {
			t.Fatalf("body %.20q: %d %v", tc.body, code, body)
		}
	}
}

func TestCalendarRecurringExceptions(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, bob, calScopeEvents) // bob writes to Team Berlin
	const inst = "seedstandup001_20260305T080000Z"
	// Move one stand-up by an hour, cancel the next.
	p, err := svc.Events.Patch(CalendarTeamBerlinID, inst, &gcal.Event{Summary: "Stand-up (late)",
		Start: calTimed("2026-03-05T11:00:00+01:00", "Europe/Berlin"), End: calTimed("2026-03-05T11:15:00+01:00", "Europe/Berlin")}).Do()
	if err != nil || p.Id != inst || p.RecurringEventId != CalendarEventStandup || p.OriginalStartTime.DateTime != "2026-03-05T09:00:00+01:00" {
		t.Fatalf("patched instance = %+v, %v", p, err)
	}
	if err := svc.Events.Delete(CalendarTeamBerlinID, "seedstandup001_20260309T080000Z").Do(); err != nil {
		t.Fatal(err)
	}
	list := func(showDeleted bool) []*gcal.Event {
		l, err := svc.Events.List(CalendarTeamBerlinID).SingleEvents(true).OrderBy("startTime").ShowDeleted(showDeleted).
			TimeMin("2026-03-05T00:00:00Z").TimeMax("2026-03-13T00:00:00Z").Do()
		if err != nil {
			t.Fatal(err)
		}
		return l.Items
	}
	got := list(false)
	var desc []string
	for _, e := range got {
		desc = append(desc, e.Id+" "+e.Start.DateTime+" "+e.Summary)
	}
	want := []string{
		inst + " 2026-03-05T11:00:00+01:00 Stand-up (late)",
		"seedstandup001_20260312T080000Z 2026-03-12T09:00:00+01:00 Team stand-up",
	}
	if !slices.Equal(desc, want) {
		t.Fatalf("instances = %q, want %q", desc, want)
	}
	if n := len(list(true)); n != 3 {
		t.Fatalf("with showDeleted: %d items", n)
	}
	// Without singleEvents the exception is listed beside its recurring event.
	l, err := svc.Events.List(CalendarTeamBerlinID).TimeMin("2026-03-05T00:00:00Z").TimeMax("2026-03-13T00:00:00Z").Do()
	if err != nil || !slices.Equal(eventIDs(l.Items), []string{CalendarEventStandup, inst}) {
		t.Fatalf("list = %v, %v", eventIDs(l.Items), err)
	}
	// An instance cannot move to another calendar.
	_, err = calService(t, h, alice).Events.Move(CalendarTeamBerlinID, inst, "primary").Do()
	wantCalError(t, err, 400, "cannotChangeOrganizerOfInstance")
}

func TestCalendarMove(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, alice, calScopeEvents)
	e, err := svc.Events.Insert("primary", &gcal.Event{Summary: "Berlin visit",
		Start: calTimed("2026-03-10T09:00:00+01:00", ""), End: calTimed("2026-03-10T17:00:00+01:00", "")}).Do()
	if err != nil {
		t.Fatal(err)
	}
	moved, err := svc.Events.Move("primary", e.Id, CalendarTeamBerlinID).Do()
	if err != nil || moved.Id != e.Id || moved.Organizer.Email != CalendarTeamBerlinID || moved.Organizer.DisplayName != "Team Berlin" ||
		moved.Start.DateTime != "2026-03-10T09:00:00+01:00" {
		t.Fatalf("moved = %+v, %v", moved, err)
	}
	_, err = svc.Events.Get("primary", e.Id).Do()
	wantCalError(t, err, 404, "notFound")
	if _, err := svc.Events.Get(CalendarTeamBerlinID, e.Id).Do(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		who        string
		from, to   string
		id         string
		code       int
		reason     string
		missingDst bool
	}{
		{"to a calendar the caller only reads", carol, "primary", "", "", 403, "requiredAccessLevel", false},
		{"from a calendar the caller only reads", carol, CalendarTeamBerlinID, "primary", e.Id, 403, "requiredAccessLevel", false},
		{"to a calendar the caller cannot see", alice, CalendarTeamBerlinID, carol, e.Id, 404, "notFound", false},
		{"an invitation the caller does not organize", bob, "primary", CalendarTeamBerlinID, CalendarEventKickoff, 403, "forbiddenForNonOrganizer", false},
		{"without destination", alice, CalendarTeamBerlinID, "", e.Id, 400, "required", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := calService(t, h, tt.who, calScopeEvents)
			id := tt.id
			if id == "" {
				ins, err := s.Events.Insert(tt.from, &gcal.Event{Summary: "x", Start: calTimed("2026-03-10T09:00:00Z", ""), End: calTimed("2026-03-10T10:00:00Z", "")}).Do()
				if err != nil {
					t.Fatal(err)
				}
				id = ins.Id
			}
			to := tt.to
			if to == "" && !tt.missingDst {
				to = CalendarTeamBerlinID
			}
			_, err := s.Events.Move(tt.from, id, to).Do()
			wantCalError(t, err, tt.code, tt.reason)
		})
	}
}

func TestCalendarCalendarsInsertPatchDelete(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, bob, calScopeFull)
	c, err := svc.Calendars.Insert(&gcal.Calendar{Summary: "Bob's travel", TimeZone: "Asia/Kolkata"}).Do()
	if err != nil || !strings.HasSuffix(c.Id, "@group.calendar.google.com") || c.TimeZone != "Asia/Kolkata" {
		t.Fatalf("insert = %+v, %v", c, err)
	}
	list := h.sb.Calendars(bob)
	if len(list) != 3 || list[1].ID != c.Id || list[1].AccessRole != "owner" || list[1].Primary {
		t.Fatalf("Calendars(bob) = %+v", list)
	}
	// An event on it lists in the calendar's own zone.
	if _, err := svc.Events.Insert(c.Id, &gcal.Event{Summary: "Flight", Start: calTimed("2026-03-10T09:00:00Z", ""), End: calTimed("2026-03-10T11:00:00Z", "")}).Do(); err != nil {
		t.Fatal(err)
	}
	l, err := svc.Events.List(c.Id).Do()
	if err != nil || l.TimeZone != "Asia/Kolkata" || l.Items[0].Start.DateTime != "2026-03-10T14:30:00+05:30" {
		t.Fatalf("list = %+v, %v", l, err)
	}
	p, err := svc.Calendars.Patch(c.Id, &gcal.Calendar{Description: "Trips"}).Do()
	if err != nil || p.Summary != "Bob's travel" || p.Description != "Trips" || p.Etag == c.Etag {
		t.Fatalf("patch = %+v, %v", p, err)
	}
	_, err = svc.Calendars.Patch(c.Id, &gcal.Calendar{TimeZone: "Nowhere/Else"}).Do()
	wantCalError(t, err, 400, "invalid")
	_, err = svc.Calendars.Insert(&gcal.Calendar{Description: "no summary"}).Do()
	wantCalError(t, err, 400, "required")
	_, err = svc.Calendars.Patch(CalendarTeamBerlinID, &gcal.Calendar{Summary: "Mine now"}).Do() // bob is a writer
	wantCalError(t, err, 403, "requiredAccessLevel")
	wantCalError(t, svc.Calendars.Delete("primary").Do(), 403, "cannotDeletePrimaryCalendar")
	wantCalError(t, svc.Calendars.Delete(CalendarTeamBerlinID).Do(), 403, "requiredAccessLevel")
	wantCalError(t, calService(t, h, carol, calScopeFull).Calendars.Delete(c.Id).Do(), 404, "notFound")
	if err := svc.Calendars.Delete(c.Id).Do(); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Calendars.Get(c.Id).Do()
	wantCalError(t, err, 404, "notFound")
	_, err = svc.Events.List(c.Id).Do()
	wantCalError(t, err, 404, "notFound")
}

func TestCalendarQuickAdd(t *testing.T) {
	h := newHarness(t)
	e, err := calService(t, h, alice, calScopeEvents).Events.QuickAdd("primary", "Call the bank").Do()
	if err != nil || e.Summary != "Call the bank" || e.Start.DateTime != "2026-03-02T05:00:00-05:00" || e.End.DateTime != "2026-03-02T06:00:00-05:00" {
		t.Fatalf("quickAdd = %+v, %v", e, err)
	}
	_, err = calService(t, h, alice, calScopeEvents).Events.QuickAdd("primary", "  ").Do()
	wantCalError(t, err, 400, "required")
}
