package sandbox

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestCalendarRecurrenceExpansion(t *testing.T) {
	ny, berlin := mustLoc(t, "America/New_York"), mustLoc(t, "Europe/Berlin")
	at := func(loc *time.Location, s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name    string
		lines   []string
		dtstart time.Time
		from    time.Time // zero: from dtstart
		limit   time.Time
		want    []string // local "2006-01-02 15:04 MST"
	}{
		{"daily interval count", []string{"RRULE:FREQ=DAILY;INTERVAL=3;COUNT=4"}, at(ny, "2026-03-06 09:00"), time.Time{}, at(ny, "2027-01-01 00:00"),
			[]string{"2026-03-06 09:00 EST", "2026-03-09 09:00 EDT", "2026-03-12 09:00 EDT", "2026-03-15 09:00 EDT"}},
		{"daily by weekday", []string{"RRULE:FREQ=DAILY;BYDAY=SA,SU;COUNT=3"}, at(ny, "2026-03-06 09:00"), time.Time{}, at(ny, "2027-01-01 00:00"),
			// dtstart (a Friday) always counts as the first instance
			[]string{"2026-03-06 09:00 EST", "2026-03-07 09:00 EST", "2026-03-08 09:00 EDT"}},
		{"weekly list every other week", []string{"RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR;COUNT=5"}, at(berlin, "2026-03-17 09:00"), time.Time{}, at(berlin, "2027-01-01 00:00"),
			[]string{"2026-03-17 09:00 CET", "2026-03-20 09:00 CET", "2026-03-31 09:00 CEST", "2026-04-03 09:00 CEST", "2026-04-14 09:00 CEST"}},
		{"weekly until inclusive", []string{"RRULE:FREQ=WEEKLY;UNTIL=20260331T070000Z"}, at(berlin, "2026-03-17 09:00"), time.Time{}, at(berlin, "2027-01-01 00:00"),
			[]string{"2026-03-17 09:00 CET", "2026-03-24 09:00 CET", "2026-03-31 09:00 CEST"}},
		{"weekly until a date", []string{"RRULE:FREQ=WEEKLY;UNTIL=20260330"}, at(berlin, "2026-03-17 09:00"), time.Time{}, at(berlin, "2027-01-01 00:00"),
			[]string{"2026-03-17 09:00 CET", "2026-03-24 09:00 CET"}},
		{"monthly second Tuesday", []string{"RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=3"}, at(ny, "2026-01-13 10:00"), time.Time{}, at(ny, "2027-01-01 00:00"),
			[]string{"2026-01-13 10:00 EST", "2026-02-10 10:00 EST", "2026-03-10 10:00 EDT"}},
		{"monthly last Friday", []string{"RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3"}, at(ny, "2026-01-30 16:00"), time.Time{}, at(ny, "2027-01-01 00:00"),
			[]string{"2026-01-30 16:00 EST", "2026-02-27 16:00 EST", "2026-03-27 16:00 EDT"}},
		{"monthly on the 31st skips short months", []string{"RRULE:FREQ=MONTHLY;COUNT=3"}, at(ny, "2026-01-31 08:00"), time.Time{}, at(ny, "2027-01-01 00:00"),
			[]string{"2026-01-31 08:00 EST", "2026-03-31 08:00 EDT", "2026-05-31 08:00 EDT"}},
		{"monthly last day", []string{"RRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3"}, at(ny, "2026-01-31 08:00"), time.Time{}, at(ny, "2027-01-01 00:00"),
			[]string{"2026-01-31 08:00 EST", "2026-02-28 08:00 EST", "2026-03-31 08:00 EDT"}},
		{"yearly leap day", []string{"RRULE:FREQ=YEARLY;COUNT=3"}, at(ny, "2024-02-29 12:00"), time.Time{}, at(ny, "2040-01-01 00:00"),
			[]string{"2024-02-29 12:00 EST", "2028-02-29 12:00 EST", "2032-02-29 12:00 EST"}},
		{"yearly last Sunday of March", []string{"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;COUNT=3"}, at(berlin, "2026-03-29 12:00"), time.Time{}, at(berlin, "2040-01-01 00:00"),
			[]string{"2026-03-29 12:00 CEST", "2027-03-28 12:00 CEST", "2028-03-26 12:00 CEST"}},
		{"exdate in the zone and as a date", []string{"RRULE:FREQ=DAILY;COUNT=5", "EXDATE;TZID=America/New_York:20260307T090000", "EXDATE;VALUE=DATE:20260309"},
			at(ny, "2026-03-06 09:00"), time.Time{}, at(ny, "2027-01-01 00:00"),
			[]string{"2026-03-06 09:00 EST", "2026-03-08 09:00 EDT", "2026-03-10 09:00 EDT"}},
		{"exdate in UTC and rdate", []string{"RRULE:FREQ=DAILY;COUNT=3", "EXDATE:20260307T140000Z", "RDATE;TZID=America/New_York:20260320T090000"},
			at(ny, "2026-03-06 09:00"), time.Time{}, at(ny, "2027-01-01 00:00"),
			[]string{"2026-03-06 09:00 EST", "2026-03-08 09:00 EDT", "2026-03-20 09:00 EDT"}},
		{"window of an endless rule", []string{"RRULE:FREQ=WEEKLY;BYDAY=MO"}, at(berlin, "2020-01-06 09:00"),
			at(berlin, "2026-03-23 00:00"), at(berlin, "2026-04-07 00:00"),
			[]string{"2026-03-23 09:00 CET", "2026-03-30 09:00 CEST", "2026-04-06 09:00 CEST"}},
		{"count is counted from the start, not the window", []string{"RRULE:FREQ=DAILY;COUNT=5"}, at(ny, "2026-03-01 09:00"),
			at(ny, "2026-03-04 00:00"), at(ny, "2027-01-01 00:00"),
			[]string{"2026-03-04 09:00 EST", "2026-03-05 09:00 EST"}},
		{"a rule that never matches ends", []string{"RRULE:FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30"}, at(ny, "2026-01-30 09:00"), time.Time{}, at(ny, "2030-01-01 00:00"),
			[]string{"2026-01-30 09:00 EST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := calParseRecurrence(tt.lines, tt.dtstart.Location())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range rec.expand(tt.dtstart, tt.from, tt.limit) {
				got = append(got, s.Format("2006-01-02 15:04 MST"))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCalendarRecurrenceRejects(t *testing.T) {
	for _, lines := range [][]string{
		{"RRULE:FREQ=SECONDLY"}, {"RRULE:INTERVAL=2"}, {"RRULE:FREQ=DAILY;COUNT=2;UNTIL=20260401"},
		{"RRULE:FREQ=DAILY;INTERVAL=0"}, {"RRULE:FREQ=WEEKLY;BYDAY=2MO"}, {"RRULE:FREQ=MONTHLY;BYDAY=XX"},
		{"RRULE:FREQ=MONTHLY;BYMONTHDAY=32"}, {"RRULE:FREQ=DAILY;BYHOUR=9"}, {"RRULE:FREQ=DAILY;FREQ=DAILY"},
		{"EXRULE:FREQ=DAILY"}, {"EXDATE:20260301T0900"}, {"EXDATE;TZID=Nowhere/Land:20260301T090000"},
		{"RRULE"}, {"RRULE:"}, {"RRULE:FREQ=DAILY;UNTIL=tomorrow"}, {"RDATE;VALUE=PERIOD:20260301T090000Z/PT1H"},
	} {
		if _, err := calParseRecurrence(lines, time.UTC); err == nil {
			t.Errorf("%q accepted", lines)
		}
	}
}

// BenchmarkCalendarExpandWeekly measures one year of an endless weekly rule started six
// years before the window.
func BenchmarkCalendarExpandWeekly(b *testing.B) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	rec, err := calParseRecurrence([]string{"RRULE:FREQ=WEEKLY;BYDAY=MO,TH"}, berlin)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2020, 1, 6, 9, 0, 0, 0, berlin)
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if n := len(rec.expand(start, from, to)); n != 105 {
			b.Fatal(fmt.Sprint(n))
		}
	}
}
