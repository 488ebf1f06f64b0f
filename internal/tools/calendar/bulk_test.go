package calendar

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
)

// snapshot renders a calendar's stored events for before/after comparisons.
func snapshot(env *toolstest.Env, email, cal string) []string {
	var out []string
	for _, e := range env.Sandbox.CalendarEvents(email, cal) {
		out = append(out, fmt.Sprintf("%s %s %s %s %v", e.ID, e.Status, e.Summary, e.Start.UTC(), e.Sequence))
	}
	return out
}

func TestBulkOperations(t *testing.T) {
	env, cs := setup(t, alice)
	berlin := mustZone(t, "Europe/Berlin")
	from, to := dateIn(time.Now(), berlin, 1), dateIn(time.Now(), berlin, 15)
	before := snapshot(env, alice, berlinCal)
	base := args{"operation": "delete", "calendar_id": berlinCal, "title_pattern": "STAND-?UP", "location_pattern": "spree",
		"time_min": from, "time_max": to}
	var out bulkOut
	// dry_run defaults to true: a preview, nothing changes.
	toolstest.OK(t, cs, "bulk_calendar_operations", base, &out)
	if !out.DryRun || out.TotalMatched < 3 || out.TotalProcessed != 0 || !strings.Contains(out.Message, "dry_run=false") {
		t.Fatalf("dry run %+v", out)
	}
	for _, r := range out.Results {
		if r.Status != "preview" || !strings.HasPrefix(r.EventID, sandbox.CalendarEventStandup+"_") || !strings.Contains(r.Start, "T09:00:00+0") {
			t.Errorf("preview %+v", r)
		}
	}
	if after := snapshot(env, alice, berlinCal); !slices.Equal(before, after) {
		t.Fatalf("dry run changed the calendar:\n%v\n%v", before, after)
	}
	// Filters that match nothing.
	toolstest.OK(t, cs, "bulk_calendar_operations", args{"operation": "list", "calendar_id": berlinCal, "time_min": from, "time_max": to,
		"attendee_email": carol}, &out)
	if out.TotalMatched != 0 || out.TotalFound == 0 {
		t.Errorf("attendee filter %+v", out)
	}
	// export shows the full events.
	toolstest.OK(t, cs, "bulk_calendar_operations", args{"operation": "export", "calendar_id": berlinCal, "time_min": from, "time_max": to, "max_results": 2}, &out)
	if len(out.Events) != 2 || out.Events[0].Location != "Berlin office, room Spree" || out.Events[0].StartTimeZone != "Europe/Berlin" || out.TotalMatched != 2 {
		t.Errorf("export %+v", out)
	}
	// The real deletion removes exactly the previewed occurrences, not the series.
	dry := out
	toolstest.OK(t, cs, "bulk_calendar_operations", base, &dry)
	base["dry_run"] = false
	toolstest.OK(t, cs, "bulk_calendar_operations", base, &out)
	if out.DryRun || out.TotalProcessed != dry.TotalMatched || !out.Success {
		t.Fatalf("delete %+v", out)
	}
	cancelled := 0
	for _, e := range env.Sandbox.CalendarEvents(alice, berlinCal) {
		switch {
		case e.ID == sandbox.CalendarEventStandup && e.Status != "confirmed":
			t.Errorf("series deleted: %+v", e)
		case e.RecurringEventID == sandbox.CalendarEventStandup && e.Status == "cancelled":
			cancelled++
		}
	}
	if cancelled != dry.TotalMatched {
		t.Errorf("%d occurrences cancelled, %d previewed", cancelled, dry.TotalMatched)
	}
	var list listEventsOut
	toolstest.OK(t, cs, "list_events", args{"calendar_id": berlinCal, "time_min": from, "time_max": to}, &list)
	if list.Count != 0 {
		t.Errorf("still listed: %+v", list.Events)
	}
}

func TestMoveEventsBetweenCalendars(t *testing.T) {
	env, cs := setup(t, alice)
	ny := mustZone(t, "America/New_York")
	day := dateIn(time.Now(), ny, 5)
	var created createEventOut
	toolstest.OK(t, cs, "create_event", args{"events": []any{
		map[string]any{"summary": "Move me: review", "start_time": day + "T10:00:00", "end_time": day + "T11:00:00", "timezone": "America/New_York"},
		map[string]any{"summary": "Move me: weekly", "start_time": day + "T12:00:00", "end_time": day + "T12:30:00", "timezone": "America/New_York",
			"recurrence": []string{"RRULE:FREQ=WEEKLY;COUNT=3"}},
		map[string]any{"summary": "Copy me", "start_time": day},
	}}, &created)
	single, weekly, allDay := created.Created[0].ID, created.Created[1].ID, created.Created[2].ID
	window := args{"source_calendar_id": "primary", "target_calendar_id": berlinCal, "time_min": day, "time_max": dateIn(time.Now(), ny, 6)}
	with := func(kv ...any) args {
		a := args{}
		for k, v := range window {
			a[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			a[kv[i].(string)] = kv[i+1]
		}
		return a
	}
	// Dry run: nothing moves.
	before := snapshot(env, alice, "primary")
	var out moveOut
	toolstest.OK(t, cs, "move_events_between_calendars", with("title_pattern", "^move me", "delete_from_source", true, "dry_run", true), &out)
	if len(out.Results) != 2 || out.Results[0].Status != "preview" || !slices.Equal(before, snapshot(env, alice, "primary")) {
		t.Fatalf("dry run %+v", out)
	}
	// Move: same ids, gone from the source, the series with all its occurrences.
	toolstest.OK(t, cs, "move_events_between_calendars", with("title_pattern", "^move me", "delete_from_source", true), &out)
	if out.TotalMoved != 2 || out.TotalDeleted != 2 || !out.Success {
		t.Fatalf("move %+v", out)
	}
	for _, id := range []string{single, weekly} {
		e := findEvent(t, env, alice, berlinCal, id)
		if e.Organizer != berlinCal {
			t.Errorf("moved %+v", e)
		}
		for _, s := range env.Sandbox.CalendarEvents(alice, "primary") {
			if s.ID == id {
				t.Errorf("%s still on primary", id)
			}
		}
	}
	var list listEventsOut
	toolstest.OK(t, cs, "list_events", args{"calendar_id": berlinCal, "query": "weekly", "time_min": day, "time_max": dateIn(time.Now(), ny, 30)}, &list)
	if list.Count != 3 || list.Events[0].StartTimeZone != "America/New_York" || !strings.Contains(list.Events[2].Start, "T12:00:00-0") {
		t.Errorf("moved series %+v", list.Events)
	}
	// Copy (the default): a new event on the target, the original stays.
	toolstest.OK(t, cs, "move_events_between_calendars", with("title_pattern", "copy"), &out)
	if out.TotalCopied != 1 || out.Results[0].NewID == "" || out.Results[0].NewID == allDay || out.TotalDeleted != 0 {
		t.Fatalf("copy %+v", out)
	}
	if c := findEvent(t, env, alice, berlinCal, out.Results[0].NewID); !c.AllDay || c.Summary != "Copy me" {
		t.Errorf("copy %+v", c)
	}
	findEvent(t, env, alice, "primary", allDay)
	// A target the account may only see free/busy of: each event fails with Google's reason.
	toolstest.OK(t, cs, "move_events_between_calendars", with("title_pattern", "copy", "target_calendar_id", bob), &out)
	if out.Success || out.Results[0].Status != "failed" || !strings.Contains(out.Results[0].Error, "writer access") {
		t.Errorf("to bob %+v", out)
	}
}

func TestQueryFreeBusy(t *testing.T) {
	_, cs := setup(t, alice)
	ny := mustZone(t, "America/New_York")
	now := time.Now()
	var out freeBusyOut
	toolstest.OK(t, cs, "query_freebusy", args{"time_min": dateIn(now, ny, 0), "time_max": dateIn(now, ny, 22), "timezone": "America/New_York",
		"calendar_ids": []string{"primary", bob, carol}}, &out)
	if len(out.Calendars) != 3 || out.TimeZone != "America/New_York" {
		t.Fatalf("got %+v", out)
	}
	starts := map[string]bool{}
	for _, b := range out.Calendars[0].Busy {
		starts[b.Start] = true
		if !strings.HasSuffix(b.Start, "-05:00") && !strings.HasSuffix(b.Start, "-04:00") {
			t.Errorf("block not in New York time: %+v", b)
		}
	}
	oneOnOne := func(days int) string {
		return dateIn(now, ny, days) + "T14:00:00" + offsetOf(t, ny, dateIn(now, ny, days))
	}
	// The weekly 1:1 blocks today and in three weeks, not in two weeks (EXDATE); in a week
	// it merges into the all-day offsite.
	if !starts[oneOnOne(0)] || !starts[oneOnOne(21)] || starts[oneOnOne(14)] {
		t.Errorf("1:1 blocks: %v", out.Calendars[0].Busy)
	}
	// The transparent holiday (day 14) blocks nothing; the offsite (days 7-9) does.
	day14 := dateIn(now, ny, 14) + "T00:00:00" + offsetOf(t, ny, dateIn(now, ny, 14))
	if starts[day14] || !starts[dateIn(now, ny, 7)+"T00:00:00"+offsetOf(t, ny, dateIn(now, ny, 7))] {
		t.Errorf("all-day blocks: %v", out.Calendars[0].Busy)
	}
	// bob shares free/busy with alice: his recurring Wednesday catch-up shows.
	london := mustZone(t, "Europe/London")
	wednesdays := 0
	for _, b := range out.Calendars[1].Busy {
		s, _ := time.Parse(time.RFC3339, b.Start)
		if s.In(london).Weekday() == time.Wednesday && s.In(london).Hour() == 11 {
			wednesdays++
		}
	}
	if wednesdays < 2 || len(out.Calendars[1].Errors) != 0 {
		t.Errorf("bob %+v", out.Calendars[1])
	}
	// carol shares nothing with alice.
	if len(out.Calendars[2].Errors) == 0 || out.Calendars[2].Errors[0] != "notFound" || len(out.Calendars[2].Busy) != 0 {
		t.Errorf("carol %+v", out.Calendars[2])
	}
	// Free blocks never meet a busy one.
	for _, f := range out.Free {
		fs, _ := time.Parse(time.RFC3339, f.StartUTC)
		fe, _ := time.Parse(time.RFC3339, f.EndUTC)
		for _, c := range out.Calendars {
			for _, b := range c.Busy {
				bs, _ := time.Parse(time.RFC3339, b.StartUTC)
				be, _ := time.Parse(time.RFC3339, b.EndUTC)
				if bs.Before(fe) && fs.Before(be) {
					t.Errorf("free %+v overlaps busy %+v", f, b)
				}
			}
		}
	}
	if len(out.Free) == 0 {
		t.Error("no free time")
	}
	// Default calendar and UTC output.
	toolstest.OK(t, cs, "query_freebusy", args{"time_min": dateIn(now, ny, 1) + "T00:00:00Z", "time_max": dateIn(now, ny, 2) + "T00:00:00Z"}, &out)
	if len(out.Calendars) != 1 || out.Calendars[0].CalendarID != "primary" || out.TimeZone != "UTC" || len(out.Calendars[0].Busy) == 0 {
		t.Errorf("default %+v", out)
	}
}
