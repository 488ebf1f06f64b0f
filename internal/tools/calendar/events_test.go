package calendar

import (
	"strings"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
)

func TestListCalendars(t *testing.T) {
	_, cs := setup(t, alice, scopeCalendarListRO)
	var out listCalendarsOut
	toolstest.OK(t, cs, "list_calendars", args{}, &out)
	if out.Count != 3 || out.UserEmail != alice {
		t.Fatalf("got %+v", out)
	}
	p, team, shared := out.Calendars[0], out.Calendars[1], out.Calendars[2]
	if shared.ID != bob || shared.AccessRole != "freeBusyReader" || shared.TimeZone != "Europe/London" {
		t.Errorf("shared %+v", shared)
	}
	if !p.Primary || p.ID != alice || p.TimeZone != "America/New_York" || p.AccessRole != "owner" {
		t.Errorf("primary %+v", p)
	}
	if team.ID != berlinCal || team.TimeZone != "Europe/Berlin" || team.Summary != "Team Berlin" {
		t.Errorf("team %+v", team)
	}
	// Pagination.
	var p1, p2 listCalendarsOut
	toolstest.OK(t, cs, "list_calendars", args{"max_results": 1}, &p1)
	if p1.Count != 1 || p1.NextPageToken == "" || p1.Calendars[0].ID != alice {
		t.Fatalf("page 1 %+v", p1)
	}
	toolstest.OK(t, cs, "list_calendars", args{"max_results": 1, "page_token": p1.NextPageToken}, &p2)
	if p2.Count != 1 || p2.Calendars[0].ID != berlinCal || p2.NextPageToken == "" {
		t.Errorf("page 2 %+v", p2)
	}
	if msg := toolstest.Fails(t, cs, "list_calendars", args{"max_results": 1000}); !strings.Contains(msg, "max_results") {
		t.Errorf("bad max_results: %s", msg)
	}
	// bob sees Team Berlin as writer, in its own zone, after his London primary.
	_, bcs := setup(t, bob, scopeCalendarListRO)
	toolstest.OK(t, bcs, "list_calendars", args{}, &out)
	if out.Calendars[0].TimeZone != "Europe/London" || out.Calendars[1].AccessRole != "writer" {
		t.Errorf("bob %+v", out.Calendars)
	}
}

func TestCreateCalendar(t *testing.T) {
	env, cs := setup(t, alice)
	var out createCalendarOut
	toolstest.OK(t, cs, "create_calendar", args{"summary": "Tokyo trip", "time_zone": "Asia/Tokyo", "location": "Tokyo"}, &out)
	if !out.Success || out.TimeZone != "Asia/Tokyo" || !strings.HasSuffix(out.CalendarID, "@group.calendar.google.com") {
		t.Fatalf("got %+v", out)
	}
	found := false
	for _, c := range env.Sandbox.Calendars(alice) {
		found = found || c.ID == out.CalendarID && c.TimeZone == "Asia/Tokyo" && c.AccessRole == "owner"
	}
	if !found {
		t.Errorf("calendar not stored: %+v", env.Sandbox.Calendars(alice))
	}
	// Without a zone the calendar takes the primary calendar's.
	toolstest.OK(t, cs, "create_calendar", args{"summary": "Errands"}, &out)
	if out.TimeZone != "America/New_York" {
		t.Errorf("default zone %s", out.TimeZone)
	}
	for _, tc := range []struct {
		args args
		want string
	}{
		{args{"summary": "X", "time_zone": "Berlin"}, `time_zone "Berlin"`},
		{args{"summary": "  "}, "summary"},
	} {
		if msg := toolstest.Fails(t, cs, "create_calendar", tc.args); !strings.Contains(msg, tc.want) {
			t.Errorf("%v: %s", tc.args, msg)
		}
	}
}

// TestStandupAcrossDST lists the Berlin stand-up over the next daylight-saving change: it
// stays at 09:00 Berlin time while its UTC time moves by an hour.
func TestStandupAcrossDST(t *testing.T) {
	_, cs := setup(t, alice)
	berlin := mustZone(t, "Europe/Berlin")
	change := nextTransition(berlin, time.Now())
	var out listEventsOut
	toolstest.OK(t, cs, "list_events", args{"calendar_id": berlinCal, "timezone": "Europe/Berlin",
		"time_min": dateIn(change, berlin, -8), "time_max": dateIn(change, berlin, 8), "query": "stand-up"}, &out)
	if out.CalendarTimeZone != "Europe/Berlin" || !out.SingleEvents || !strings.Contains(out.Note, "singleEvents=true") {
		t.Errorf("listing %+v", out)
	}
	if out.Count < 4 {
		t.Fatalf("only %d instances: %+v", out.Count, out.Events)
	}
	utcHours := map[int]bool{}
	for _, ev := range out.Events {
		start, err := time.Parse(time.RFC3339, ev.Start)
		if err != nil {
			t.Fatal(err)
		}
		utc, _ := time.Parse(time.RFC3339, ev.StartUTC)
		if start.Hour() != 9 || start.Minute() != 0 || ev.StartTimeZone != "Europe/Berlin" || !start.Equal(utc) {
			t.Errorf("instance %+v", ev)
		}
		if ev.RecurringEventID != sandbox.CalendarEventStandup || ev.AllDay {
			t.Errorf("instance %+v", ev)
		}
		utcHours[utc.UTC().Hour()] = true
		_, off := start.Zone()
		_, want := start.In(berlin).Zone()
		if off != want {
			t.Errorf("%s: offset %d, Berlin has %d", ev.Start, off, want)
		}
	}
	if !utcHours[7] || !utcHours[8] {
		t.Errorf("UTC hours %v: want 07:00 and 08:00 on either side of the change", utcHours)
	}
	// The series itself, once, with its rule.
	toolstest.OK(t, cs, "list_events", args{"calendar_id": berlinCal, "timezone": "Europe/Berlin", "single_events": false,
		"time_min": dateIn(change, berlin, -8), "time_max": dateIn(change, berlin, 8)}, &out)
	if out.Count != 1 || out.SingleEvents || len(out.Events[0].Recurrence) != 1 || out.Events[0].ID != sandbox.CalendarEventStandup {
		t.Errorf("series %+v", out)
	}
}

func TestEventsInDifferentZones(t *testing.T) {
	env, cs := setup(t, alice)
	ny := mustZone(t, "America/New_York")
	now := time.Now()
	var out getEventOut
	toolstest.OK(t, cs, "get_event", args{"event_id": sandbox.CalendarEventKickoff}, &out)
	ev := out.Event
	start, _ := time.Parse(time.RFC3339, ev.Start)
	if ev.StartTimeZone != "America/New_York" || start.Hour() != 10 || ev.Summary != "Project kickoff" || len(ev.Attendees) != 2 {
		t.Errorf("kickoff %+v", ev)
	}
	// carol's stretch is at 07:00 Tokyo time.
	_, ccs := setup(t, carol)
	var list listEventsOut
	toolstest.OK(t, ccs, "list_events", args{"time_min": dateIn(now, mustZone(t, "Asia/Tokyo"), 0), "max_results": 3, "query": "stretch"}, &list)
	if list.CalendarTimeZone != "Asia/Tokyo" || list.Count == 0 {
		t.Fatalf("carol %+v", list)
	}
	for _, e := range list.Events {
		if !strings.Contains(e.Start, "T07:00:00+09:00") || e.StartTimeZone != "Asia/Tokyo" {
			t.Errorf("carol %+v", e)
		}
	}
	// alice's kickoff, on carol's Tokyo calendar as an invitation, keeps New York time.
	toolstest.OK(t, ccs, "list_events", args{"query": "kickoff", "time_min": dateIn(now, ny, -1), "time_max": dateIn(now, ny, 3)}, &list)
	if list.Count != 1 || list.Events[0].StartTimeZone != "America/New_York" || !strings.Contains(list.Events[0].Start, "T10:00:00-0") ||
		list.CalendarTimeZone != "Asia/Tokyo" {
		t.Errorf("invitation on carol's calendar %+v", list)
	}
	// An event in Tokyo time on alice's New York calendar keeps its own zone.
	day := dateIn(now, ny, 20)
	var created createEventOut
	toolstest.OK(t, cs, "create_event", args{"summary": "Call Tokyo", "start_time": day + "T09:00:00",
		"end_time": day + "T09:30:00", "timezone": "Asia/Tokyo"}, &created)
	c := created.Created[0]
	if c.Start != day+"T09:00:00+09:00" || c.StartTimeZone != "Asia/Tokyo" || !strings.HasSuffix(c.StartUTC, "T00:00:00Z") {
		t.Errorf("created %+v", c)
	}
	stored := findEvent(t, env, alice, "primary", created.EventID)
	if stored.TimeZone != "Asia/Tokyo" || stored.Start.UTC().Hour() != 0 {
		t.Errorf("stored %+v", stored)
	}
	// An event given with an offset only takes the calendar's zone for display.
	toolstest.OK(t, cs, "create_event", args{"summary": "Offset", "start_time": day + "T15:00:00Z", "end_time": day + "T16:00:00Z"}, &created)
	if c := created.Created[0]; c.StartTimeZone != "America/New_York" || c.StartUTC != day+"T15:00:00Z" {
		t.Errorf("offset event %+v", c)
	}
}

func findEvent(t *testing.T, env *toolstest.Env, email, cal, id string) sandbox.CalendarEventInfo {
	t.Helper()
	for _, e := range env.Sandbox.CalendarEvents(email, cal) {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("event %s not on %s", id, cal)
	return sandbox.CalendarEventInfo{}
}

func TestAllDayEvents(t *testing.T) {
	env, cs := setup(t, alice)
	ny := mustZone(t, "America/New_York")
	now := time.Now()
	day := dateIn(now, ny, 30)
	var out createEventOut
	// Only a start date: a one-day event, end computed as the next day.
	toolstest.OK(t, cs, "create_event", args{"summary": "Conference", "start_time": day}, &out)
	ev := out.Created[0]
	if !ev.AllDay || ev.Start != day || ev.End != dateIn(now, ny, 31) || ev.LastDay != day || ev.StartUTC != "" {
		t.Errorf("one-day %+v", ev)
	}
	if !strings.Contains(out.Message, "all day on "+day) {
		t.Errorf("message %q", out.Message)
	}
	stored := findEvent(t, env, alice, "primary", out.EventID)
	if !stored.AllDay || stored.End.Sub(stored.Start) != 24*time.Hour {
		t.Errorf("stored %+v", stored)
	}
	// The seeded three-day offsite, listed: exclusive end, last day spelled out.
	var list listEventsOut
	toolstest.OK(t, cs, "list_events", args{"time_min": dateIn(now, ny, 7), "time_max": dateIn(now, ny, 8), "query": "offsite"}, &list)
	if list.Count != 1 {
		t.Fatalf("offsite %+v", list)
	}
	off := list.Events[0]
	if !off.AllDay || off.Start != dateIn(now, ny, 7) || off.End != dateIn(now, ny, 10) || off.LastDay != dateIn(now, ny, 9) {
		t.Errorf("offsite %+v", off)
	}
	// The holiday is transparent.
	toolstest.OK(t, cs, "list_events", args{"time_min": dateIn(now, ny, 14), "time_max": dateIn(now, ny, 15)}, &list)
	if list.Count != 1 || list.Events[0].Transparency != "transparent" || !list.Events[0].AllDay {
		t.Errorf("holiday %+v", list.Events)
	}
	// A date range means midnight in the calendar's zone: the all-day event on day 30 is
	// not in the window of day 31.
	toolstest.OK(t, cs, "list_events", args{"time_min": dateIn(now, ny, 31), "time_max": dateIn(now, ny, 32)}, &list)
	for _, e := range list.Events {
		if e.ID == out.EventID {
			t.Errorf("day-30 event listed on day 31: %+v (window %s..%s)", e, list.TimeMin, list.TimeMax)
		}
	}
	if !strings.HasSuffix(list.TimeMin, "-05:00") && !strings.HasSuffix(list.TimeMin, "-04:00") {
		t.Errorf("window %s not in New York time", list.TimeMin)
	}
}

func TestRecurringEvents(t *testing.T) {
	env, cs := setup(t, alice)
	berlin := mustZone(t, "Europe/Berlin")
	change := nextTransition(berlin, time.Now())
	first := dateIn(change, berlin, -14)
	var out createEventOut
	toolstest.OK(t, cs, "create_event", args{"calendar_id": berlinCal, "summary": "Retro", "start_time": first + "T16:00:00",
		"end_time": first + "T17:00:00", "timezone": "Europe/Berlin", "recurrence": []string{"FREQ=WEEKLY;COUNT=4"}}, &out)
	series := out.Created[0]
	if len(series.Recurrence) != 1 || series.Recurrence[0] != "RRULE:FREQ=WEEKLY;COUNT=4" || series.StartTimeZone != "Europe/Berlin" {
		t.Fatalf("series %+v", series)
	}
	var list listEventsOut
	toolstest.OK(t, cs, "list_events", args{"calendar_id": berlinCal, "query": "retro", "timezone": "Europe/Berlin",
		"time_min": first, "time_max": dateIn(change, berlin, 30)}, &list)
	if list.Count != 4 {
		t.Fatalf("instances %+v", list.Events)
	}
	for _, e := range list.Events {
		if e.RecurringEventID != series.ID || !strings.Contains(e.Start, "T16:00:00+0") || e.ID == series.ID {
			t.Errorf("instance %+v", e)
		}
	}
	// A recurring timed event without a zone takes its calendar's.
	day := dateIn(time.Now(), mustZone(t, "America/New_York"), 3)
	toolstest.OK(t, cs, "create_event", args{"summary": "Standup NY", "start_time": day + "T14:00:00Z",
		"end_time": day + "T14:15:00Z", "recurrence": []string{"RRULE:FREQ=DAILY;COUNT=3"}}, &out)
	if out.Created[0].StartTimeZone != "America/New_York" || findEvent(t, env, alice, "primary", out.EventID).TimeZone != "America/New_York" {
		t.Errorf("recurring without zone %+v", out.Created[0])
	}
	// The seeded weekly 1:1 has six occurrences, the third removed by EXDATE.
	ny := mustZone(t, "America/New_York")
	toolstest.OK(t, cs, "list_events", args{"query": "1:1", "time_min": dateIn(time.Now(), ny, 0),
		"time_max": dateIn(time.Now(), ny, 50), "max_results": 20}, &list)
	if list.Count != 5 {
		t.Fatalf("1:1 instances %d: %+v", list.Count, list.Events)
	}
	exdate := dateIn(time.Now(), ny, 14)
	for _, e := range list.Events {
		if strings.HasPrefix(e.Start, exdate) {
			t.Errorf("EXDATE occurrence listed: %+v", e)
		}
	}
	if msg := toolstest.Fails(t, cs, "create_event", args{"summary": "x", "start_time": day, "recurrence": []string{"every monday"}}); !strings.Contains(msg, "recurrence[0]") {
		t.Errorf("bad rule: %s", msg)
	}
}

func TestListEventsPagination(t *testing.T) {
	_, cs := setup(t, alice)
	berlin := mustZone(t, "Europe/Berlin")
	from, to := dateIn(time.Now(), berlin, 0), dateIn(time.Now(), berlin, 28)
	var all, p1, p2 listEventsOut
	toolstest.OK(t, cs, "list_events", args{"calendar_id": berlinCal, "time_min": from, "time_max": to, "max_results": 50}, &all)
	toolstest.OK(t, cs, "list_events", args{"calendar_id": berlinCal, "time_min": from, "time_max": to, "max_results": 3}, &p1)
	if p1.Count != 3 || p1.NextPageToken == "" || !strings.Contains(p1.Note, "page_token") {
		t.Fatalf("page 1 %+v", p1)
	}
	toolstest.OK(t, cs, "list_events", args{"calendar_id": berlinCal, "time_min": from, "time_max": to, "max_results": 3,
		"page_token": p1.NextPageToken}, &p2)
	if p2.Count == 0 || p2.Events[0].ID != all.Events[3].ID {
		t.Errorf("page 2 %+v, all %+v", p2.Events, all.Events)
	}
	// Default window: now to ten days on.
	toolstest.OK(t, cs, "list_events", args{}, &all)
	tmin, _ := time.Parse(time.RFC3339, all.TimeMin)
	tmax, _ := time.Parse(time.RFC3339, all.TimeMax)
	if time.Since(tmin) > time.Minute || tmax.Sub(tmin) != defaultListWindow || all.CalendarID != "primary" {
		t.Errorf("default window %s..%s", all.TimeMin, all.TimeMax)
	}
}

func TestEventArgumentErrors(t *testing.T) {
	env, cs := setup(t, alice)
	before := len(env.Sandbox.CalendarEvents(alice, "primary"))
	tests := []struct {
		tool string
		args args
		want string
	}{
		{"create_event", args{"summary": "x", "start_time": "2030-01-10T10:00:00Z", "end_time": "2030-01-10T09:00:00Z"}, "end_time 2030-01-10T09:00:00Z is before start_time"},
		{"create_event", args{"summary": "x", "start_time": "2030-01-10T10:00:00", "end_time": "2030-01-10T11:00:00", "timezone": "Europe/Berlinn"}, `timezone "Europe/Berlinn" is not a known IANA time zone`},
		{"create_event", args{"summary": "x", "start_time": "2030-01-10T10:00:00", "end_time": "2030-01-10T11:00:00"}, "has no UTC offset"},
		{"create_event", args{"summary": "x", "start_time": "2030-01-10", "end_time": "2030-01-10"}, "exclusive"},
		{"create_event", args{"summary": "x", "start_time": "2030-01-10T10:00:00Z"}, "end_time is required"},
		{"create_event", args{"summary": "x", "start_time": "2030-01-10", "end_time": "2030-01-10T10:00:00Z"}, "must both be dates"},
		{"create_event", args{"start_time": "2030-01-10"}, "summary"},
		{"create_event", args{}, "summary"},
		{"create_event", args{"summary": "x", "start_time": "2030-01-10", "attendees": []string{"bob"}}, `attendees[0] "bob"`},
		{"create_event", args{"events": []any{map[string]any{"summary": "a", "start_time": "2030-01-10"},
			map[string]any{"summary": "b", "start_time": "2030-01-10", "timezone": "Nowhere/City"}}}, "events[1].timezone"},
		{"create_event", args{"summary": "x", "events": []any{map[string]any{"summary": "a", "start_time": "2030-01-10"}}}, "not both"},
		{"create_event", args{"summary": "x", "start_time": "2030-03-31T02:30:00", "end_time": "2030-03-31T03:30:00", "timezone": "Europe/Berlin"}, "does not exist"},
		{"list_events", args{"time_min": "2030-01-10T10:00:00Z", "time_max": "2030-01-09T10:00:00Z"}, "time_max"},
		{"list_events", args{"timezone": "PST"}, `timezone "PST"`},
		{"list_events", args{"time_min": "tomorrow"}, "time_min"},
		{"list_events", args{"max_results": 5000}, "max_results"},
		{"get_event", args{"event_id": " "}, "event_id"},
		{"modify_event", args{"event_id": sandbox.CalendarEventKickoff}, "Nothing to change"},
		{"modify_event", args{"event_id": sandbox.CalendarEventKickoff, "timezone": "Moon/Base"}, `timezone "Moon/Base"`},
		{"delete_event", args{}, "event_id"},
		{"query_freebusy", args{"time_min": "2030-01-10T10:00:00Z"}, "time_max"},
		{"query_freebusy", args{"time_min": "2030-01-10T10:00:00Z", "time_max": "2030-01-11T10:00:00Z", "timezone": "Berlin"}, `timezone "Berlin"`},
		{"bulk_calendar_operations", args{"operation": "delete", "title_pattern": "(unclosed"}, "title_pattern"},
		{"bulk_calendar_operations", args{"operation": "explode"}, "operation"},
		{"move_events_between_calendars", args{"source_calendar_id": "primary", "target_calendar_id": "primary"}, "same calendar"},
	}
	for _, tt := range tests {
		msg := toolstest.Fails(t, cs, tt.tool, tt.args)
		if !strings.Contains(msg, tt.want) {
			t.Errorf("%s(%v): %q, want %q", tt.tool, tt.args, msg, tt.want)
		}
		if strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine") {
			t.Errorf("%s: internal error leaked: %s", tt.tool, msg)
		}
	}
	if after := len(env.Sandbox.CalendarEvents(alice, "primary")); after != before {
		t.Errorf("bad arguments created events: %d -> %d", before, after)
	}
}
