package sandbox

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file expands the recurrence of a Calendar event (RFC 5545 RRULE, EXDATE and RDATE
// lines, as the Calendar API accepts them in Event.recurrence). The expansion runs on the
// wall clock of the event's start time zone, so a 09:00 Europe/Berlin meeting stays at 09:00
// local time across a daylight-saving change while its UTC time shifts.
//
// Supported: FREQ=DAILY|WEEKLY|MONTHLY|YEARLY with INTERVAL, COUNT, UNTIL, BYDAY (with
// ordinals such as 2TU or -1FR for MONTHLY and YEARLY), BYMONTHDAY, BYMONTH and WKST; EXDATE
// and RDATE as UTC, TZID-qualified, floating or VALUE=DATE values. Anything else (BYSETPOS,
// BYHOUR, EXRULE, ...) is refused as an invalid recurrence rather than expanded wrongly.

// These limits bound every expansion so that an endless rule, or one that never
// matches, cannot keep a request busy.
const (
	calMaxPeriods   = 100_000 // periods (days, weeks, months, years) walked per rule
	calMaxInstances = 5_000   // instances produced per recurring event and request
)

var calErrBadRecurrence = errors.New("invalid recurrence rule")

// calByDay is one BYDAY entry: a weekday, with an optional ordinal (2TU: N=2, -1FR: N=-1).
type calByDay struct {
	N  int
	Wd time.Weekday
}

// calRule is one parsed RRULE.
type calRule struct {
	freq       string
	interval   int
	count      int
	until      time.Time // zero when unset
	untilDate  bool      // UNTIL was a DATE: compare local dates
	byDay      []calByDay
	byMonthDay []int
	byMonth    []time.Month
	wkst       time.Weekday
}

// calRecurrence is an event's whole recurrence: its rules, extra dates and excluded dates.
type calRecurrence struct {
	rules   []*calRule
	rdates  []time.Time
	exdates []time.Time
	// rDays are extra dates given as VALUE=DATE (at the start's wall-clock time).
	rDays []time.Time
	// exDays are excluded dates given as VALUE=DATE (matched by local date).
	exDays []time.Time
}

var calWeekdays = map[string]time.Weekday{
	"SU": time.Sunday, "MO": time.Monday, "TU": time.Tuesday, "WE": time.Wednesday,
	"TH": time.Thursday, "FR": time.Friday, "SA": time.Saturday,
}

// calParseRecurrence parses Event.recurrence lines. loc is the event's start time zone, used
// for floating date-times.
func calParseRecurrence(lines []string, loc *time.Location) (*calRecurrence, error) {
	rec := &calRecurrence{}
	for _, line := range lines {
		name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || value == "" {
			return nil, calErrBadRecurrence
		}
		prop, params, _ := strings.Cut(name, ";")
		switch strings.ToUpper(prop) {
		case "RRULE":
			if params != "" {
				return nil, calErrBadRecurrence
			}
			r, err := calParseRRule(value, loc)
			if err != nil {
				return nil, err
			}
			rec.rules = append(rec.rules, r)
		case "EXDATE", "RDATE":
			times, dates, err := calParseDateList(params, value, loc)
			if err != nil {
				return nil, err
			}
			if strings.EqualFold(prop, "EXDATE") {
				rec.exdates = append(rec.exdates, times...)
				rec.exDays = append(rec.exDays, dates...)
			} else {
				rec.rdates = append(rec.rdates, times...)
				rec.rDays = append(rec.rDays, dates...)
			}
		default:
			return nil, calErrBadRecurrence
		}
	}
	if len(rec.rules) == 0 && len(rec.rdates) == 0 && len(rec.rDays) == 0 {
		return nil, calErrBadRecurrence
	}
	return rec, nil
}

// calParseDateList parses the value of EXDATE or RDATE with its parameters (TZID=..., VALUE=DATE).
// Date-times come back as instants; VALUE=DATE values as UTC midnights in dates.
func calParseDateList(params, value string, loc *time.Location) (times, dates []time.Time, err error) {
	valueDate := false
	for p := range strings.SplitSeq(params, ";") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		switch strings.ToUpper(k) {
		case "TZID":
			l, lerr := calLoadLocation(v)
			if lerr != nil {
				return nil, nil, calErrBadRecurrence
			}
			loc = l
		case "VALUE":
			switch strings.ToUpper(v) {
			case "DATE":
				valueDate = true
			case "DATE-TIME":
			default:
				return nil, nil, calErrBadRecurrence
			}
		default:
			return nil, nil, calErrBadRecurrence
		}
	}
	for v := range strings.SplitSeq(value, ",") {
		if valueDate || len(v) == 8 {
			d, perr := time.Parse("20060102", v)
			if perr != nil {
				return nil, nil, calErrBadRecurrence
			}
			dates = append(dates, d)
			continue
		}
		t, perr := calParseICalDateTime(v, loc)
		if perr != nil {
			return nil, nil, perr
		}
		times = append(times, t)
	}
	return times, dates, nil
}

// calParseICalDateTime parses 20260316T090000Z (UTC) or 20260316T090000 (in loc).
func calParseICalDateTime(v string, loc *time.Location) (time.Time, error) {
	if strings.HasSuffix(v, "Z") {
		t, err := time.Parse("20060102T150405Z", v)
		if err != nil {
			return time.Time{}, calErrBadRecurrence
		}
		return t, nil
	}
	t, err := time.ParseInLocation("20060102T150405", v, loc)
	if err != nil {
		return time.Time{}, calErrBadRecurrence
	}
	return t, nil
}

// calParseRRule parses the value of an RRULE line (without "RRULE:").
func calParseRRule(v string, loc *time.Location) (*calRule, error) {
	r := &calRule{interval: 1, wkst: time.Monday}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(v, ";") {
		k, val, ok := strings.Cut(part, "=")
		k = strings.ToUpper(k)
		if !ok || val == "" || seen[k] {
			return nil, calErrBadRecurrence
		}
		seen[k] = true
		var err error
		switch k {
		case "FREQ":
			r.freq = strings.ToUpper(val)
			if !slices.Contains([]string{"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}, r.freq) {
				return nil, calErrBadRecurrence
			}
		case "INTERVAL":
			r.interval, err = strconv.Atoi(val)
			if err != nil || r.interval < 1 || r.interval > 1000 {
				return nil, calErrBadRecurrence
			}
		case "COUNT":
			r.count, err = strconv.Atoi(val)
			if err != nil || r.count < 1 {
				return nil, calErrBadRecurrence
			}
		case "UNTIL":
			if len(val) == 8 {
				r.until, err = time.Parse("20060102", val)
				r.untilDate = true
			} else {
				r.until, err = calParseICalDateTime(val, loc)
			}
			if err != nil {
				return nil, calErrBadRecurrence
			}
		case "BYDAY":
			for d := range strings.SplitSeq(strings.ToUpper(val), ",") {
				if len(d) < 2 {
					return nil, calErrBadRecurrence
				}
				wd, ok := calWeekdays[d[len(d)-2:]]
				if !ok {
					return nil, calErrBadRecurrence
				}
				n := 0
				if ord := d[:len(d)-2]; ord != "" {
					n, err = strconv.Atoi(ord)
					if err != nil || n == 0 || n > 53 || n < -53 {
						return nil, calErrBadRecurrence
					}
				}
				r.byDay = append(r.byDay, calByDay{N: n, Wd: wd})
			}
		case "BYMONTHDAY":
			for d := range strings.SplitSeq(val, ",") {
				n, err := strconv.Atoi(d)
				if err != nil || n == 0 || n > 31 || n < -31 {
					return nil, calErrBadRecurrence
				}
				r.byMonthDay = append(r.byMonthDay, n)
			}
		case "BYMONTH":
			for d := range strings.SplitSeq(val, ",") {
				n, err := strconv.Atoi(d)
				if err != nil || n < 1 || n > 12 {
					return nil, calErrBadRecurrence
				}
				r.byMonth = append(r.byMonth, time.Month(n))
			}
		case "WKST":
			wd, ok := calWeekdays[strings.ToUpper(val)]
			if !ok {
				return nil, calErrBadRecurrence
			}
			r.wkst = wd
		default:
			return nil, calErrBadRecurrence
		}
	}
	if r.freq == "" || (r.count > 0 && !r.until.IsZero()) {
		return nil, calErrBadRecurrence
	}
	if r.freq == "DAILY" || r.freq == "WEEKLY" {
		for _, d := range r.byDay {
			if d.N != 0 {
				return nil, calErrBadRecurrence
			}
		}
	}
	if r.freq == "WEEKLY" && len(r.byMonthDay) > 0 {
		return nil, calErrBadRecurrence
	}
	return r, nil
}

// calCivil is a calendar date as a UTC midnight, for date arithmetic free of DST.
func calCivil(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func calCivilOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return calCivil(y, m, d)
}

func calDaysIn(y int, m time.Month) int { return calCivil(y, m+1, 0).Day() }

// calByDayMatches reports whether day matches one BYDAY entry, with ordinals counted within
// [first, last] (the month or the year).
func calByDayMatches(day time.Time, by []calByDay, first, last time.Time) bool {
	for _, b := range by {
		if day.Weekday() != b.Wd {
			continue
		}
		switch {
		case b.N == 0:
			return true
		case b.N > 0 && int(day.Sub(first).Hours()/24)/7+1 == b.N:
			return true
		case b.N < 0 && int(last.Sub(day).Hours()/24)/7+1 == -b.N:
			return true
		}
	}
	return false
}

func calByMonthDayMatches(day time.Time, by []int) bool {
	n := calDaysIn(day.Year(), day.Month())
	for _, d := range by {
		if d == day.Day() || (d < 0 && n+d+1 == day.Day()) {
			return true
		}
	}
	return false
}

// daysOf returns the days of [first, last] that pass BYDAY (ordinals within the range) and
// BYMONTHDAY, or the day numbered like start when neither is given.
func (r *calRule) daysOf(first, last time.Time, start time.Time) []time.Time {
	var out []time.Time
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		switch {
		case len(r.byDay) == 0 && len(r.byMonthDay) == 0:
			if d.Day() != start.Day() {
				continue
			}
		case len(r.byDay) > 0 && !calByDayMatches(d, r.byDay, first, last):
			continue
		case len(r.byMonthDay) > 0 && !calByMonthDayMatches(d, r.byMonthDay):
			continue
		}
		out = append(out, d)
	}
	return out
}

// period returns the candidate dates of period p (sorted) and the first date of that period.
func (r *calRule) period(p int, start time.Time) (days []time.Time, begin time.Time) {
	switch r.freq {
	case "DAILY":
		d := start.AddDate(0, 0, p*r.interval)
		if len(r.byDay) > 0 && !calByDayMatches(d, r.byDay, d, d) {
			return nil, d
		}
		if len(r.byMonthDay) > 0 && !calByMonthDayMatches(d, r.byMonthDay) {
			return nil, d
		}
		return []time.Time{d}, d
	case "WEEKLY":
		back := (int(start.Weekday()) - int(r.wkst) + 7) % 7
		ws := start.AddDate(0, 0, 7*r.interval*p-back)
		for i := range 7 {
			d := ws.AddDate(0, 0, i)
			if len(r.byDay) > 0 && calByDayMatches(d, r.byDay, d, d) || len(r.byDay) == 0 && d.Weekday() == start.Weekday() {
				days = append(days, d)
			}
		}
		return days, ws
	case "MONTHLY":
		first := calCivil(start.Year(), start.Month()+time.Month(p*r.interval), 1)
		return r.daysOf(first, first.AddDate(0, 1, -1), start), first
	default: // YEARLY
		y := start.Year() + p*r.interval
		first := calCivil(y, 1, 1)
		if len(r.byMonth) == 0 && len(r.byDay) > 0 && len(r.byMonthDay) == 0 {
			return r.daysOf(first, calCivil(y, 12, 31), start), first
		}
		months := r.byMonth
		if len(months) == 0 {
			months = []time.Month{start.Month()}
		}
		months = slices.Sorted(slices.Values(months))
		for _, m := range slices.Compact(months) {
			mf := calCivil(y, m, 1)
			if len(r.byDay) == 0 && len(r.byMonthDay) == 0 {
				if start.Day() <= calDaysIn(y, m) {
					days = append(days, calCivil(y, m, start.Day()))
				}
				continue
			}
			days = append(days, r.daysOf(mf, mf.AddDate(0, 1, -1), calCivil(y, m, start.Day()))...)
		}
		return days, first
	}
}

// instances returns the starts of this rule from dtstart (always the first instance, as RFC
// 5545 says) that fall in [from, limit), at most max of them. COUNT counts from dtstart
// whatever from is. Wall-clock times are kept in dtstart's location.
func (r *calRule) instances(dtstart, from, limit time.Time, max int) []time.Time {
	loc := dtstart.Location()
	h, mi, sec := dtstart.Clock()
	start := calCivilOf(dtstart)
	var out []time.Time
	n := 1 // dtstart is the first instance
	if !dtstart.Before(from) && dtstart.Before(limit) {
		out = append(out, dtstart)
	}
	for p := range calMaxPeriods {
		days, begin := r.period(p, start)
		if !time.Date(begin.Year(), begin.Month(), begin.Day(), 0, 0, 0, 0, loc).Before(limit.Add(24 * time.Hour)) {
			return out
		}
		if !r.until.IsZero() && begin.After(r.until.Add(24*time.Hour)) {
			return out
		}
		for _, d := range days {
			if len(r.byMonth) > 0 && !slices.Contains(r.byMonth, d.Month()) {
				continue
			}
			t := time.Date(d.Year(), d.Month(), d.Day(), h, mi, sec, 0, loc)
			if !t.After(dtstart) {
				continue
			}
			if !r.until.IsZero() {
				if r.untilDate && calCivilOf(t).After(r.until) || !r.untilDate && t.After(r.until) {
					return out
				}
			}
			if !t.Before(limit) || (r.count > 0 && n >= r.count) || len(out) >= max {
				return out
			}
			n++
			if !t.Before(from) {
				out = append(out, t)
			}
		}
	}
	return out
}

// expand returns the instance starts of the recurrence in [from, limit), sorted and without
// excluded dates; dtstart carries the location the rules run in (for an all-day
// event, midnight in the calendar's time zone). EXDATE;VALUE=DATE values match by date.
func (rec *calRecurrence) expand(dtstart, from, limit time.Time) []time.Time {
	var all []time.Time
	for _, r := range rec.rules {
		all = append(all, r.instances(dtstart, from, limit, calMaxInstances)...)
	}
	if len(rec.rules) == 0 && !dtstart.Before(from) && dtstart.Before(limit) {
		all = append(all, dtstart)
	}
	h, mi, sec := dtstart.Clock()
	extra := slices.Clone(rec.rdates)
	for _, d := range rec.rDays {
		extra = append(extra, time.Date(d.Year(), d.Month(), d.Day(), h, mi, sec, 0, dtstart.Location()))
	}
	for _, t := range extra {
		if t.Before(limit) && !t.Before(dtstart) && !t.Before(from) {
			all = append(all, t.In(dtstart.Location()))
		}
	}
	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	all = slices.CompactFunc(all, func(a, b time.Time) bool { return a.Equal(b) })
	all = slices.DeleteFunc(all, func(t time.Time) bool {
		for _, x := range rec.exdates {
			if x.Equal(t) {
				return true
			}
		}
		for _, d := range rec.exDays {
			if calCivilOf(t).Equal(d) {
				return true
			}
		}
		return false
	})
	if len(all) > calMaxInstances {
		all = all[:calMaxInstances]
	}
	return all
}
