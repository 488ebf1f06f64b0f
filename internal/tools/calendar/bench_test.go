package calendar

import (
	"testing"

	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
	gcal "google.golang.org/api/calendar/v3"
)

// BenchmarkListEvents measures a list_events call through MCP against the sandbox: four
// weeks of the Berlin stand-up, expanded.
func BenchmarkListEvents(b *testing.B) {
	env := toolstest.New(b)
	Register(env.Registry, env.Deps)
	env.Authorize(b, alice, allCalendarScopes...)
	cs := env.Connect(b, env.Deps.Local)
	a := args{"calendar_id": berlinCal, "time_min": "2031-03-01", "time_max": "2031-04-01", "timezone": "Europe/Berlin"}
	var out listEventsOut
	toolstest.OK(b, cs, "list_events", a, &out)
	if out.Count < 8 {
		b.Fatalf("only %d events", out.Count)
	}
	b.ReportAllocs()
	for b.Loop() {
		toolstest.OK(b, cs, "list_events", a, nil)
	}
}

// BenchmarkEventInfo measures the conversion of one timed event for output.
func BenchmarkEventInfo(b *testing.B) {
	ev := &gcal.Event{Id: "x", Summary: "Team stand-up", Start: &gcal.EventDateTime{DateTime: "2031-03-27T09:00:00+01:00", TimeZone: "Europe/Berlin"},
		End:       &gcal.EventDateTime{DateTime: "2031-03-27T09:15:00+01:00", TimeZone: "Europe/Berlin"},
		Attendees: []*gcal.EventAttendee{{Email: bob}, {Email: carol}}}
	z := zones{}
	b.ReportAllocs()
	for b.Loop() {
		if eventInfo(ev, "Europe/Berlin", z).StartUTC != "2031-03-27T08:00:00Z" {
			b.Fatal("wrong")
		}
	}
}
