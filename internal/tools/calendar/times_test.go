package calendar

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/gwmcp/gwmcp/internal/tools"
)

func TestParseWhen(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	tests := []struct {
		name, v, tz string
		loc         *time.Location
		want        string // RFC 3339 or date; "" when an error is expected
		wantErr     string
	}{
		{name: "offset", v: "2026-03-10T09:00:00-05:00", want: "2026-03-10T09:00:00-05:00"},
		{name: "utc", v: "2026-03-10T14:00:00Z", want: "2026-03-10T14:00:00Z"},
		{name: "offset shown in zone", v: "2026-03-10T08:00:00Z", tz: "Europe/Berlin", loc: berlin, want: "2026-03-10T09:00:00+01:00"},
		{name: "local plus zone winter", v: "2026-03-10T09:00:00", tz: "Europe/Berlin", loc: berlin, want: "2026-03-10T09:00:00+01:00"},
		{name: "local plus zone summer", v: "2026-04-10T09:00", tz: "Europe/Berlin", loc: berlin, want: "2026-04-10T09:00:00+02:00"},
		{name: "space separator", v: "2026-04-10 09:00:00", tz: "Europe/Berlin", loc: berlin, want: "2026-04-10T09:00:00+02:00"},
		{name: "date", v: "2026-03-10", want: "2026-03-10"},
		{name: "local without zone", v: "2026-03-10T09:00:00", wantErr: "has no UTC offset"},
		{name: "dst gap", v: "2026-03-29T02:30:00", tz: "Europe/Berlin", loc: berlin, wantErr: "does not exist in Europe/Berlin"},
		{name: "bad date", v: "2026-02-30", wantErr: "not a valid date"},
		{name: "garbage", v: "next tuesday", wantErr: "is not a date-time"},
		{name: "empty", v: " ", wantErr: "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := parseWhen("start_time", tt.v, "timezone", tt.tz, tt.loc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "start_time") {
					t.Fatalf("err = %v, want %q naming start_time", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.String() != tt.want || w.tz != tt.tz {
				t.Errorf("got %s (%q), want %s (%q)", w, w.tz, tt.want, tt.tz)
			}
		})
	}
}

func TestCheckSpan(t *testing.T) {
	d := func(s string) when { w, _ := parseWhen("x", s, "tz", "", nil); return w }
	tests := []struct {
		name, s, e, wantErr string
	}{
		{"timed ok", "2026-03-10T09:00:00Z", "2026-03-10T10:00:00Z", ""},
		{"zero length", "2026-03-10T09:00:00Z", "2026-03-10T09:00:00Z", ""},
		{"end before start", "2026-03-10T09:00:00Z", "2026-03-10T08:00:00Z", "is before start_time"},
		{"offsets compared as instants", "2026-03-10T09:00:00+01:00", "2026-03-10T08:30:00Z", ""},
		{"all-day ok", "2026-03-10", "2026-03-11", ""},
		{"all-day same day", "2026-03-10", "2026-03-10", "exclusive"},
		{"all-day reversed", "2026-03-10", "2026-03-09", "is before start_time"},
		{"mixed", "2026-03-10", "2026-03-10T10:00:00Z", "both be dates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkSpan("start_time", "end_time", d(tt.s), d(tt.e))
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadZone(t *testing.T) {
	for _, name := range []string{"Europe/Berlin", "UTC", "Asia/Tokyo"} {
		if _, err := loadZone("timezone", name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"Mars/Olympus", "Local", "", "../../etc/passwd", strings.Repeat("A", 100)} {
		_, err := loadZone("events[1].timezone", name)
		if err == nil || !strings.Contains(err.Error(), "events[1].timezone") {
			t.Errorf("%q: err = %v", name, err)
		}
	}
}

func TestFreeGaps(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 3, 10, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		busy [][2]time.Time
		want [][2]time.Time
	}{
		{"none", nil, [][2]time.Time{{at(8), at(18)}}},
		{"overlapping", [][2]time.Time{{at(12), at(14)}, {at(9), at(10)}, {at(13), at(15)}},
			[][2]time.Time{{at(8), at(9)}, {at(10), at(12)}, {at(15), at(18)}}},
		{"covering", [][2]time.Time{{at(7), at(19)}}, nil},
		{"edges", [][2]time.Time{{at(8), at(9)}, {at(17), at(18)}}, [][2]time.Time{{at(9), at(17)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := freeGaps(tt.busy, at(8), at(18))
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if !got[i][0].Equal(tt.want[i][0]) || !got[i][1].Equal(tt.want[i][1]) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestEventIDs(t *testing.T) {
	tests := []struct {
		in   deleteEventIn
		want string
	}{
		{deleteEventIn{EventID: "abc"}, "abc"},
		{deleteEventIn{EventID: "a, b ,a"}, "a|b"},
		{deleteEventIn{EventID: `["x","y"]`}, "x|y"},
		{deleteEventIn{EventIDs: []string{"p", " q "}, EventID: "p"}, "p|q"},
		{deleteEventIn{}, ""},
	}
	for _, tt := range tests {
		if got := strings.Join(eventIDs(tt.in), "|"); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStrictSchemaRemovesUnions shows why the tools carry their own schemas: the inferred
// schema of a slice or pointer is a union, the strict one is not.
func TestStrictSchemaRemovesUnions(t *testing.T) {
	raw, err := jsonschema.For[listEventsIn](nil)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := json.Marshal(raw)
	sb, _ := json.Marshal(tools.Strict[listEventsIn]())
	if !strings.Contains(string(rb), `["null","boolean"]`) || strings.Contains(string(sb), `"null"`) {
		t.Errorf("raw %s\nstrict %s", rb, sb)
	}
}
