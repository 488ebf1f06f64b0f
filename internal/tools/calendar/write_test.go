package calendar

import (
	"strings"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
)

func TestBulkCreate(t *testing.T) {
	env, cs := setup(t, alice)
	day := dateIn(time.Now(), mustZone(t, "America/New_York"), 40)
	var out createEventOut
	toolstest.OK(t, cs, "create_event", args{"events": []any{
		map[string]any{"summary": "Morning", "start_time": day + "T09:00:00", "end_time": day + "T10:00:00", "timezone": "America/New_York"},
		map[string]any{"summary": "Holiday", "start_time": day},
		map[string]any{"summary": "Lunch", "start_time": day + "T17:00:00Z", "end_time": day + "T18:00:00Z", "attendees": []string{bob}},
	}}, &out)
	if !out.Success || len(out.Created) != 3 || out.TotalProcessed != 3 || out.EventID != "" || len(out.Failed) != 0 {
		t.Fatalf("got %+v", out)
	}
	for _, ev := range out.Created {
		findEvent(t, env, alice, "primary", ev.ID)
	}
	if !out.Created[1].AllDay || out.Created[2].Attendees[0] != bob {
		t.Errorf("created %+v", out.Created)
	}
	// Google refuses one of several: the others are created, the refusal reported.
	before := len(env.Sandbox.CalendarEvents(alice, "primary"))
	env.Sandbox.FailAPI("calendar", 1, sandbox.APIFailure{Status: 400, Reason: "invalid", Message: "Invalid attendee."})
	toolstest.OK(t, cs, "create_event", args{"events": []any{
		map[string]any{"summary": "A", "start_time": day},
		map[string]any{"summary": "B", "start_time": day},
	}}, &out)
	if out.Success || len(out.Created) != 1 || len(out.Failed) != 1 || out.Failed[0].Index != 0 || !strings.Contains(out.Failed[0].Error, "Invalid attendee") {
		t.Errorf("partial %+v", out)
	}
	if after := len(env.Sandbox.CalendarEvents(alice, "primary")); after != before+1 {
		t.Errorf("events %d -> %d", before, after)
	}
}

func TestCreateWithAttachments(t *testing.T) {
	_, cs := setup(t, alice)
	var out createEventOut
	toolstest.OK(t, cs, "create_event", args{"summary": "Doc review", "start_time": "2031-02-03",
		"attachments": []string{"https://drive.google.com/file/d/1AbCdEfGhIjKlMnOp/view?usp=sharing", "1ZyXwVuTsRqPoNmLk"}}, &out)
	got := out.Created[0].Attachments
	if len(got) != 2 || got[0] != "https://drive.google.com/open?id=1AbCdEfGhIjKlMnOp" || got[1] != "https://drive.google.com/open?id=1ZyXwVuTsRqPoNmLk" {
		t.Errorf("attachments %v", got)
	}
	for _, bad := range []string{"https://evil.example/file/d/1AbCdEfGhIjKlMnOp", "../../etc/passwd", "short"} {
		msg := toolstest.Fails(t, cs, "create_event", args{"summary": "x", "start_time": "2031-02-03", "attachments": []string{bad}})
		if !strings.Contains(msg, "attachments[0]") {
			t.Errorf("%s: %s", bad, msg)
		}
	}
}

func TestModifyEvent(t *testing.T) {
	env, cs := setup(t, alice)
	ny := mustZone(t, "America/New_York")
	var out modifyEventOut
	// Moving the start keeps the hour-long length.
	day := dateIn(time.Now(), ny, 2)
	toolstest.OK(t, cs, "modify_event", args{"event_id": sandbox.CalendarEventKickoff, "start_time": day + "T13:00:00",
		"timezone": "America/New_York", "summary": "Kickoff (moved)"}, &out)
	if out.Event.Start != day+"T13:00:00"+offsetOf(t, ny, day) || !strings.Contains(out.Event.End, "T14:00:00") || out.Event.Summary != "Kickoff (moved)" {
		t.Errorf("moved %+v", out.Event)
	}
	if strings.Join(out.FieldsModified, ",") != "summary,start_time,timezone" {
		t.Errorf("fields %v", out.FieldsModified)
	}
	stored := findEvent(t, env, alice, "primary", sandbox.CalendarEventKickoff)
	if stored.End.Sub(stored.Start) != time.Hour || stored.Summary != "Kickoff (moved)" || len(stored.Attendees) != 2 {
		t.Errorf("stored %+v", stored)
	}
	// Changing only the time zone keeps the instants.
	toolstest.OK(t, cs, "modify_event", args{"event_id": sandbox.CalendarEventKickoff, "timezone": "Europe/Berlin"}, &out)
	if out.Event.StartTimeZone != "Europe/Berlin" || !findEvent(t, env, alice, "primary", sandbox.CalendarEventKickoff).Start.Equal(stored.Start) {
		t.Errorf("zone change %+v", out.Event)
	}
	// An end before the (kept) start is refused before anything is sent.
	msg := toolstest.Fails(t, cs, "modify_event", args{"event_id": sandbox.CalendarEventKickoff, "end_time": dateIn(time.Now(), ny, -5) + "T10:00:00Z"})
	if !strings.Contains(msg, "is before start_time") {
		t.Errorf("end before start: %s", msg)
	}
	// Changing one occurrence of a recurring event.
	var list listEventsOut
	toolstest.OK(t, cs, "list_events", args{"calendar_id": berlinCal, "query": "stand-up", "max_results": 1}, &list)
	inst := list.Events[0]
	toolstest.OK(t, cs, "modify_event", args{"calendar_id": berlinCal, "event_id": inst.ID, "location": "Online"}, &out)
	if out.Event.Location != "Online" || out.Event.RecurringEventID != sandbox.CalendarEventStandup || out.Event.Start != inst.Start {
		t.Errorf("instance %+v", out.Event)
	}
	if findEvent(t, env, alice, berlinCal, sandbox.CalendarEventStandup).Summary != "Team stand-up" {
		t.Error("series changed")
	}
	// All-day: a new start date keeps the three-day length.
	toolstest.OK(t, cs, "modify_event", args{"event_id": sandbox.CalendarEventOffsite, "start_time": dateIn(time.Now(), ny, 21)}, &out)
	if out.Event.End != dateIn(time.Now(), ny, 24) || out.Event.LastDay != dateIn(time.Now(), ny, 23) {
		t.Errorf("offsite %+v", out.Event)
	}
}

func offsetOf(t *testing.T, loc *time.Location, day string) string {
	d, _ := time.ParseInLocation(time.DateOnly+"T15", day+"T13", loc)
	return d.Format("-07:00")
}

func TestDeleteEvent(t *testing.T) {
	env, cs := setup(t, alice)
	var out deleteEventOut
	toolstest.OK(t, cs, "delete_event", args{"event_id": sandbox.CalendarEventPlanning}, &out)
	if !out.Success || len(out.EventsDeleted) != 1 {
		t.Fatalf("got %+v", out)
	}
	if e := findEvent(t, env, alice, "primary", sandbox.CalendarEventPlanning); e.Status != "cancelled" {
		t.Errorf("stored %+v", e)
	}
	// Several, one of them unknown: the others go, the unknown one is reported.
	toolstest.OK(t, cs, "delete_event", args{"event_id": sandbox.CalendarEventHoliday + ",nosuchevent1", "event_ids": []string{sandbox.CalendarEventOffsite}}, &out)
	if out.Success || len(out.EventsDeleted) != 2 || len(out.EventsFailed) != 1 || out.EventsFailed[0].EventID != "nosuchevent1" ||
		!strings.Contains(out.EventsFailed[0].Error, "404") {
		t.Errorf("several %+v", out)
	}
	// Deleting one occurrence of a recurring event leaves the series.
	var list listEventsOut
	toolstest.OK(t, cs, "list_events", args{"query": "1:1", "max_results": 1, "time_min": dateIn(time.Now(), mustZone(t, "America/New_York"), 1)}, &list)
	toolstest.OK(t, cs, "delete_event", args{"event_id": list.Events[0].ID}, &out)
	if findEvent(t, env, alice, "primary", sandbox.CalendarEventOneOnOne).Status != "confirmed" ||
		findEvent(t, env, alice, "primary", list.Events[0].ID).Status != "cancelled" {
		t.Error("occurrence delete touched the series")
	}
}
