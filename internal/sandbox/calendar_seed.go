package sandbox

import (
	"fmt"
	"time"

	gcal "google.golang.org/api/calendar/v3"
)

// This file seeds the demo calendars, relative to the sandbox's clock at start, so that
// the same clock always gives the same calendars.

// The seeded calendars and events, for tests.
const (
	// CalendarTeamBerlinID is alice's secondary calendar in Europe/Berlin, shared with bob
	// (writer) and carol (reader).
	CalendarTeamBerlinID = "c_teamberlin@group.calendar.google.com"

	// CalendarEventStandup is Team Berlin's endless stand-up, Mondays and Thursdays
	// 09:00-09:15 Europe/Berlin, starting twelve weeks before the seed's week, so it spans
	// daylight-saving changes.
	CalendarEventStandup = "seedstandup001"
	// CalendarEventKickoff is alice's meeting tomorrow 10:00-11:00 New York time with bob
	// (accepted) and carol (needsAction).
	CalendarEventKickoff = "seedkickoff001"
	// CalendarEventOneOnOne is alice's weekly 1:1 with bob, today 14:00-14:30 New York time,
	// six times, the third one removed by an EXDATE.
	CalendarEventOneOnOne = "seedoneonone01"
	// CalendarEventMonthlyReview is alice's review on the second Tuesday of each month,
	// 10:00-11:00 New York time, six times from this month's.
	CalendarEventMonthlyReview = "seedmonthrev01"
	// CalendarEventPlanning is alice's meeting yesterday 13:00-15:00 New York time.
	CalendarEventPlanning = "seedplanning01"
	// CalendarEventOffsite is alice's three-day all-day offsite starting in seven days.
	CalendarEventOffsite = "seedoffsite001"
	// CalendarEventHoliday is alice's all-day (transparent) holiday in fourteen days.
	CalendarEventHoliday = "seedpublicholi"
	// CalendarEventBobDentist is bob's private appointment tomorrow 15:00-16:00 London time.
	CalendarEventBobDentist = "seedbobdentist"
	// CalendarEventBobCatchUp is bob's endless weekly Wednesday 11:00-11:30 London time.
	CalendarEventBobCatchUp = "seedbobcatchup"
	// CalendarEventCarolStretch is carol's 07:00-07:30 Tokyo time routine, every other
	// day, ten times from today.
	CalendarEventCarolStretch = "seedcarolstretch"
)

// seed creates the demo calendars of the demo accounts that exist.
func (cs *calendarService) seed(now time.Time) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	loc := func(name string) *time.Location {
		l, err := calLoadLocation(name)
		if err != nil {
			panic("sandbox: calendar seed: time zone " + name) // tzdata is embedded
		}
		return l
	}
	ny, berlin, london, tokyo := loc("America/New_York"), loc("Europe/Berlin"), loc("Europe/London"), loc("Asia/Tokyo")
	ty, tm, td := now.In(ny).Date()
	at := func(l *time.Location, days, h, m int) time.Time { return time.Date(ty, tm, td+days, h, m, 0, 0, l) }
	dt := func(t time.Time) *gcal.EventDateTime {
		return &gcal.EventDateTime{DateTime: t.Format(time.RFC3339), TimeZone: t.Location().String()}
	}
	date := func(days int) *gcal.EventDateTime {
		return &gcal.EventDateTime{Date: time.Date(ty, tm, td+days, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)}
	}
	created := now.Add(-30 * 24 * time.Hour)
	add := func(c *calCalendar, id string, ev gcal.Event) {
		if c == nil {
			return
		}
		e, err := cs.build(&ev, c, c.owner, nil)
		if err != nil {
			cs.sb.log.Error("sandbox: calendar seed", "event", id, "error", err.message)
			return
		}
		e.ev.Id, e.ev.ICalUID = id, id+"@google.com"
		e.created, e.updated = created, created
		created = created.Add(time.Minute)
		cs.events[c.id][id] = e
	}
	primary := func(email, tz string) *calCalendar {
		if _, ok := cs.sb.LookupAccount(email); !ok {
			return nil
		}
		return cs.ensurePrimary(email, tz)
	}
	alice := primary("alice@sandbox.example", "America/New_York")
	bob := primary("bob@sandbox.example", "Europe/London")
	carol := primary("carol@sandbox.example", "Asia/Tokyo")
	primary("dave@consumer.example", "Europe/Rome")
	attendee := func(email, status string) *gcal.EventAttendee {
		return &gcal.EventAttendee{Email: email, DisplayName: cs.person(email), ResponseStatus: status}
	}

	var team *calCalendar
	if alice != nil {
		cs.order++
		team = &calCalendar{id: CalendarTeamBerlinID, summary: "Team Berlin", description: "The Berlin team's calendar",
			timeZone: "Europe/Berlin", loc: berlin, owner: alice.owner, colorID: "9", created: cs.order,
			acl: map[string]string{"bob@sandbox.example": calRoleWriter, "carol@sandbox.example": calRoleReader}}
		cs.calendars[team.id] = team
		cs.events[team.id] = map[string]*calEvent{}
	}
	if bob != nil && alice != nil {
		bob.acl[alice.owner] = calRoleFreeBusy
	}

	// Team Berlin: a stand-up across daylight-saving changes.
	b := now.In(berlin)
	monday := time.Date(b.Year(), b.Month(), b.Day()-(int(b.Weekday())+6)%7-12*7, 9, 0, 0, 0, berlin)
	add(team, CalendarEventStandup, gcal.Event{Summary: "Team stand-up", Location: "Berlin office, room Spree",
		Start: dt(monday), End: dt(monday.Add(15 * time.Minute)),
		Recurrence: []string{"RRULE:FREQ=WEEKLY;BYDAY=MO,TH"}})

	// alice.
	add(alice, CalendarEventKickoff, gcal.Event{Summary: "Project kickoff", Location: "Conference Room A",
		Description: "Agenda: scope, budget and milestones.",
		Start:       dt(at(ny, 1, 10, 0)), End: dt(at(ny, 1, 11, 0)),
		Attendees: []*gcal.EventAttendee{attendee("bob@sandbox.example", "accepted"),
			attendee("carol@sandbox.example", "needsAction")}})
	oneOnOne := at(ny, 0, 14, 0)
	add(alice, CalendarEventOneOnOne, gcal.Event{Summary: "1:1 Alice / Bob",
		Start: dt(oneOnOne), End: dt(oneOnOne.Add(30 * time.Minute)),
		Recurrence: []string{"RRULE:FREQ=WEEKLY;COUNT=6",
			"EXDATE;TZID=America/New_York:" + oneOnOne.AddDate(0, 0, 14).Format("20060102T150405")},
		Attendees: []*gcal.EventAttendee{attendee("bob@sandbox.example", "accepted")}})
	first := time.Date(ty, tm, 1, 10, 0, 0, 0, ny)
	review := first.AddDate(0, 0, (int(time.Tuesday)-int(first.Weekday())+7)%7+7)
	add(alice, CalendarEventMonthlyReview, gcal.Event{Summary: "Monthly review",
		Start: dt(review), End: dt(review.Add(time.Hour)),
		Recurrence: []string{"RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=6"}})
	add(alice, CalendarEventPlanning, gcal.Event{Summary: "Quarterly planning",
		Description: "Review of the quarter's budget.", Start: dt(at(ny, -1, 13, 0)), End: dt(at(ny, -1, 15, 0))})
	add(alice, CalendarEventOffsite, gcal.Event{Summary: "Team offsite", Location: "Lisbon",
		Start: date(7), End: date(10)})
	add(alice, CalendarEventHoliday, gcal.Event{Summary: "Company holiday", Transparency: "transparent",
		Start: date(14), End: date(15)})

	// bob.
	add(bob, CalendarEventBobDentist, gcal.Event{Summary: "Dentist", Visibility: "private",
		Start: dt(at(london, 1, 15, 0)), End: dt(at(london, 1, 16, 0))})
	wed := at(london, -7, 11, 0)
	wed = wed.AddDate(0, 0, (int(time.Wednesday)-int(wed.Weekday())+7)%7)
	add(bob, CalendarEventBobCatchUp, gcal.Event{Summary: "Catch-up",
		Start: dt(wed), End: dt(wed.Add(30 * time.Minute)), Recurrence: []string{"RRULE:FREQ=WEEKLY"}})

	// carol.
	add(carol, CalendarEventCarolStretch, gcal.Event{Summary: "Morning stretch",
		Start: dt(at(tokyo, 0, 7, 0)), End: dt(at(tokyo, 0, 7, 30)),
		Recurrence: []string{"RRULE:FREQ=DAILY;INTERVAL=2;COUNT=10"}})
	cs.sb.log.Debug("sandbox: calendars seeded", "calendars", fmt.Sprint(len(cs.calendars)))
}
