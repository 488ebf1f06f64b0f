package calendar

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
)

func TestNotFound(t *testing.T) {
	_, cs := setup(t, alice)
	for _, tc := range []struct {
		tool string
		args args
	}{
		{"get_event", args{"event_id": "nosuchevent1"}},
		{"modify_event", args{"event_id": "nosuchevent1", "summary": "x"}},
		{"delete_event", args{"event_id": "nosuchevent1"}},
		{"list_events", args{"calendar_id": "nosuch@group.calendar.google.com"}},
		{"get_event", args{"event_id": sandbox.CalendarEventKickoff, "calendar_id": berlinCal}},
		// carol shares nothing with alice.
		{"list_events", args{"calendar_id": carol}},
		{"bulk_calendar_operations", args{"operation": "list", "calendar_id": carol}},
		{"move_events_between_calendars", args{"source_calendar_id": carol, "target_calendar_id": "primary"}},
	} {
		msg := toolstest.Fails(t, cs, tc.tool, tc.args)
		if !strings.Contains(msg, "404") || !strings.Contains(msg, "Google Calendar") {
			t.Errorf("%s(%v): %s", tc.tool, tc.args, msg)
		}
	}
}

func TestPermissionDenied(t *testing.T) {
	env, cs := setup(t, alice)
	day := dateIn(time.Now(), mustZone(t, "Europe/London"), 3)
	// bob shares only free/busy with alice: no writing, no details.
	for _, tc := range []struct {
		tool string
		args args
	}{
		{"create_event", args{"calendar_id": bob, "summary": "Hijack", "start_time": day}},
		{"delete_event", args{"calendar_id": bob, "event_id": sandbox.CalendarEventBobDentist}},
		{"modify_event", args{"calendar_id": bob, "event_id": sandbox.CalendarEventBobDentist, "summary": "x"}},
	} {
		msg := toolstest.Fails(t, cs, tc.tool, tc.args)
		if !strings.Contains(msg, "403") || !strings.Contains(msg, "writer access") {
			t.Errorf("%s: %s", tc.tool, msg)
		}
	}
	if e := findEvent(t, env, bob, "primary", sandbox.CalendarEventBobDentist); e.Summary != "Dentist" || e.Status != "confirmed" {
		t.Errorf("bob's event changed: %+v", e)
	}
	var got getEventOut
	toolstest.OK(t, cs, "get_event", args{"calendar_id": bob, "event_id": sandbox.CalendarEventBobDentist}, &got)
	if got.Event.Summary != "(no title)" || got.Event.Description != "" || got.Event.StartTimeZone != "Europe/London" {
		t.Errorf("free/busy view leaked details: %+v", got.Event)
	}
	// carol reads Team Berlin but may not change it.
	_, ccs := setup(t, carol)
	msg := toolstest.Fails(t, ccs, "modify_event", args{"calendar_id": berlinCal, "event_id": sandbox.CalendarEventStandup, "summary": "x"})
	if !strings.Contains(msg, "403") {
		t.Errorf("carol: %s", msg)
	}
}

func TestQuota(t *testing.T) {
	env, cs := setup(t, alice)
	// Fewer than five 429s are retried away.
	env.Sandbox.FailAPI("calendar", 4, sandbox.APIFailure{Status: 429})
	toolstest.OK(t, cs, "list_events", args{}, nil)
	// Five exhaust the retries: the model is told Google is rate-limiting.
	env.Sandbox.FailAPI("calendar", 5, sandbox.APIFailure{Status: 429})
	msg := toolstest.Fails(t, cs, "list_events", args{})
	if !strings.Contains(msg, "rate-limiting") || !strings.Contains(msg, "429") {
		t.Errorf("quota: %s", msg)
	}
	// Creates use a client-chosen id, so they are retried too, and create exactly one event.
	before := len(env.Sandbox.CalendarEvents(alice, "primary"))
	env.Sandbox.FailAPI("calendar", 4, sandbox.APIFailure{Status: 429})
	var out createEventOut
	toolstest.OK(t, cs, "create_event", args{"summary": "Under pressure", "start_time": "2031-05-05"}, &out)
	if after := len(env.Sandbox.CalendarEvents(alice, "primary")); after != before+1 {
		t.Errorf("events %d -> %d", before, after)
	}
	// The free/busy query (a POST that only reads) is retried as well.
	env.Sandbox.FailAPI("calendar", 4, sandbox.APIFailure{Status: 503})
	toolstest.OK(t, cs, "query_freebusy", args{"time_min": "2031-05-05T00:00:00Z", "time_max": "2031-05-06T00:00:00Z"}, nil)
	for _, tool := range []struct {
		name string
		args args
	}{
		{"create_event", args{"summary": "x", "start_time": "2031-05-05"}},
		{"list_calendars", args{}},
		{"query_freebusy", args{"time_min": "2031-05-05T00:00:00Z", "time_max": "2031-05-06T00:00:00Z"}},
	} {
		env.Sandbox.FailAPI("calendar", 5, sandbox.APIFailure{Status: 429})
		if msg := toolstest.Fails(t, cs, tool.name, tool.args); !strings.Contains(msg, "rate-limiting") {
			t.Errorf("%s: %s", tool.name, msg)
		}
	}
}

// TestInsertConflictMeansCreated shows the retry guard: when an insert finds its own id
// taken (an earlier attempt went through), the stored event is returned, not a duplicate.
func TestInsertConflictMeansCreated(t *testing.T) {
	env := toolstest.New(t)
	RegisterWith(env.Registry, env.Deps, Options{Rand: bytes.NewReader(make([]byte, 64))})
	env.Authorize(t, alice, allCalendarScopes...)
	cs := env.Connect(t, identity.Principal{})
	var a, b createEventOut
	toolstest.OK(t, cs, "create_event", args{"summary": "Once", "start_time": "2031-06-01"}, &a)
	toolstest.OK(t, cs, "create_event", args{"summary": "Once", "start_time": "2031-06-01"}, &b)
	if a.EventID != b.EventID || a.EventID != "00000000000000000000000000" {
		t.Errorf("ids %s %s", a.EventID, b.EventID)
	}
	n := 0
	for _, e := range env.Sandbox.CalendarEvents(alice, "primary") {
		if e.Summary == "Once" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d copies", n)
	}
}

func TestAccountSelection(t *testing.T) {
	env := toolstest.New(t)
	Register(env.Registry, env.Deps)
	env.Authorize(t, alice, allCalendarScopes...)
	env.Authorize(t, bob, scopeEventsRO) // bob granted read-only events
	env.Authorize(t, carol, allCalendarScopes...)
	p := identity.Principal{Subject: "oauth-alice", Email: alice, Kind: identity.KindOAuth}
	env.Link(t, p, alice, true)
	env.Link(t, p, bob, false)
	cs := env.Connect(t, p)

	var list listEventsOut
	toolstest.OK(t, cs, "list_events", args{}, &list)
	if list.UserEmail != alice || list.CalendarTimeZone != "America/New_York" {
		t.Errorf("default account: %+v", list)
	}
	toolstest.OK(t, cs, "list_events", args{"user_google_email": bob}, &list)
	if list.UserEmail != bob || list.CalendarTimeZone != "Europe/London" {
		t.Errorf("bob: %+v", list)
	}
	// carol is stored on the server but not linked to this caller.
	msg := toolstest.Fails(t, cs, "list_events", args{"user_google_email": carol})
	if !strings.Contains(msg, "not one of the Google accounts you have connected") || !strings.Contains(msg, "start_google_auth") {
		t.Errorf("unlinked: %s", msg)
	}
	// bob's credential lacks the write scope: the answer carries the authorization URL.
	msg = toolstest.Fails(t, cs, "create_event", args{"user_google_email": bob, "summary": "x", "start_time": "2031-01-01"})
	if !strings.Contains(msg, "https://gwmcp.test/auth/link") || !strings.Contains(msg, "calendar.events") {
		t.Errorf("missing scope: %s", msg)
	}
	msg = toolstest.Fails(t, cs, "list_calendars", args{"user_google_email": bob})
	if !strings.Contains(msg, "https://gwmcp.test/auth/link") {
		t.Errorf("missing list scope: %s", msg)
	}
	for _, e := range env.Sandbox.CalendarEvents(bob, "primary") {
		if e.Summary == "x" {
			t.Error("created with a read-only grant")
		}
	}
}
