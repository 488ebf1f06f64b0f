package sandbox

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// The harness clock starts at 2026-03-02 09:00 UTC, a Monday: 04:00 in New York (EST),
// 10:00 in Berlin (CET). Europe changes to summer time on 2026-03-29, the US on 2026-03-08.

const (
	calScopeFull     = "https://www.googleapis.com/auth/calendar"
	calScopeReadonly = "https://www.googleapis.com/auth/calendar.readonly"
	calScopeEvents   = "https://www.googleapis.com/auth/calendar.events"
	calScopeEventsRO = "https://www.googleapis.com/auth/calendar.events.readonly"
	calScopeFreeBusy = "https://www.googleapis.com/auth/calendar.freebusy"
	carol            = "carol@sandbox.example"
	dave             = "dave@consumer.example"
)

// calService returns the generated Calendar client acting as email with these scopes.
func calService(t *testing.T, h *harness, email string, scopes ...string) *gcal.Service {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{calScopeFull}
	}
	ts, err := h.sb.IssueTokens(email, webClientID, scopes)
	if err != nil {
		t.Fatalf("IssueTokens: %v", err)
	}
	client := &http.Client{Transport: &oauth2.Transport{
		Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: ts.AccessToken.Reveal()}),
		Base:   h.srv.Client().Transport,
	}}
	svc, err := gcal.NewService(t.Context(), option.WithEndpoint(h.srv.URL+"/calendar/v3/"), option.WithHTTPClient(client))
	if err != nil {
		t.Fatalf("calendar.NewService: %v", err)
	}
	return svc
}

// wantCalError checks that err is a Google API error with this status and reason.
func wantCalError(t *testing.T, err error, code int, reason string) {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		t.Fatalf("error = %v, want a googleapi.Error %d %s", err, code, reason)
	}
	if ge.Code != code || len(ge.Errors) == 0 || ge.Errors[0].Reason != reason {
		t.Fatalf("error = %d %+v, want %d %s", ge.Code, ge.Errors, code, reason)
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func eventIDs(items []*gcal.Event) []string {
	var ids []string
	for _, e := range items {
		ids = append(ids, e.Id)
	}
	return ids
}

func TestCalendarListCalendars(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		email string
		want  []string // id:accessRole, primary first
	}{
		{alice, []string{alice + ":owner", CalendarTeamBerlinID + ":owner", bob + ":freeBusyReader"}},
		{bob, []string{bob + ":owner", CalendarTeamBerlinID + ":writer"}},
		{carol, []string{carol + ":owner", CalendarTeamBerlinID + ":reader"}},
		{dave, []string{dave + ":owner"}},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			list, err := calService(t, h, tt.email, calScopeReadonly).CalendarList.List().Do()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range list.Items {
				got = append(got, e.Id+":"+e.AccessRole)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("calendars = %v, want %v", got, tt.want)
			}
			if first := list.Items[0]; !first.Primary || first.Kind != "calendar#calendarListEntry" || first.BackgroundColor == "" {
				t.Fatalf("primary entry = %+v", first)
			}
			for _, e := range list.Items[1:] {
				if e.Primary {
					t.Fatalf("%s marked primary for %s", e.Id, tt.email)
				}
			}
		})
	}

	svc := calService(t, h, alice, calScopeReadonly)
	got, err := svc.CalendarList.Get("primary").Do()
	if err != nil || got.Id != alice || got.TimeZone != "America/New_York" || !got.Primary {
		t.Fatalf("calendarList.get(primary) = %+v, %v", got, err)
	}
	cal, err := svc.Calendars.Get(CalendarTeamBerlinID).Do()
	if err != nil || cal.Summary != "Team Berlin" || cal.TimeZone != "Europe/Berlin" || cal.Etag == "" {
		t.Fatalf("calendars.get = %+v, %v", cal, err)
	}
	_, err = svc.CalendarList.Get(carol).Do()
	wantCalError(t, err, 404, "notFound")
	_, err = calService(t, h, dave, calScopeReadonly).Calendars.Get(alice).Do()
	wantCalError(t, err, 404, "notFound")

	list, err := svc.CalendarList.List().MinAccessRole("owner").Do()
	if err != nil || len(list.Items) != 2 {
		t.Fatalf("minAccessRole=owner: %v, %v", list, err)
	}
	page, err := svc.CalendarList.List().MaxResults(1).Do()
	if err != nil || len(page.Items) != 1 || page.NextPageToken == "" {
		t.Fatalf("maxResults=1: %+v, %v", page, err)
	}
}

func TestCalendarEventsWindow(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, alice, calScopeReadonly)
	tests := []struct {
		name             string
		timeMin, timeMax string
		single           bool
		q                string
		want             []string
	}{
		{"three days", "2026-03-01T00:00:00-05:00", "2026-03-04T00:00:00-05:00", false, "",
			[]string{CalendarEventPlanning, CalendarEventOneOnOne, CalendarEventKickoff}},
		{"three days expanded", "2026-03-01T00:00:00-05:00", "2026-03-04T00:00:00-05:00", true, "",
			[]string{CalendarEventPlanning, CalendarEventOneOnOne + "_20260302T190000Z", CalendarEventKickoff}},
		{"all-day event and a recurring event's first instance", "2026-03-10T00:00:00-04:00", "2026-03-11T00:00:00-04:00", false, "",
			[]string{CalendarEventOffsite, CalendarEventMonthlyReview}},
		{"end of the window is exclusive", "2026-03-03T09:00:00-05:00", "2026-03-03T10:00:00-05:00", false, "", nil},
		{"start of the window is exclusive for ends", "2026-03-03T11:00:00-05:00", "2026-03-03T12:00:00-05:00", false, "", nil},
		{"q over description", "2026-02-01T00:00:00Z", "2026-04-01T00:00:00Z", false, "BUDGET",
			[]string{CalendarEventPlanning, CalendarEventKickoff}},
		{"q over attendees", "2026-02-01T00:00:00Z", "2026-04-01T00:00:00Z", true, "carol@sandbox.example",
			[]string{CalendarEventKickoff}},
		{"q over location, two words", "2026-02-01T00:00:00Z", "2026-04-01T00:00:00Z", false, "room conference",
			[]string{CalendarEventKickoff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call := svc.Events.List("primary").TimeMin(tt.timeMin).TimeMax(tt.timeMax).SingleEvents(tt.single).Q(tt.q)
			if tt.single {
				call = call.OrderBy("startTime")
			}
			got, err := call.Do()
			if err != nil {
				t.Fatal(err)
			}
			if ids := eventIDs(got.Items); !slices.Equal(ids, tt.want) {
				t.Fatalf("events = %v, want %v", ids, tt.want)
			}
			if got.Kind != "calendar#events" || got.TimeZone != "America/New_York" || got.AccessRole != "owner" ||
				got.Summary != alice || got.Updated == "" || len(got.DefaultReminders) == 0 {
				t.Fatalf("collection = %+v", got)
			}
		})
	}
}

func TestCalendarRecurringAcrossDST(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, carol, calScopeEventsRO) // carol reads Team Berlin
	got, err := svc.Events.List(CalendarTeamBerlinID).SingleEvents(true).OrderBy("startTime").
		TimeMin("2026-03-23T00:00:00+01:00").TimeMax("2026-04-03T00:00:00+02:00").Do()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ id, local, utc string }{
		{"seedstandup001_20260323T080000Z", "2026-03-23T09:00:00+01:00", "08:00"},
		{"seedstandup001_20260326T080000Z", "2026-03-26T09:00:00+01:00", "08:00"},
		{"seedstandup001_20260330T070000Z", "2026-03-30T09:00:00+02:00", "07:00"},
		{"seedstandup001_20260402T070000Z", "2026-04-02T09:00:00+02:00", "07:00"},
	}
	if len(got.Items) != len(want) {
		t.Fatalf("instances = %v", eventIDs(got.Items))
	}
	for i, w := range want {
		e := got.Items[i]
		st, err := time.Parse(time.RFC3339, e.Start.DateTime)
		if err != nil {
			t.Fatal(err)
		}
		if e.Id != w.id || e.Start.DateTime != w.local || st.UTC().Format("15:04") != w.utc ||
			e.Start.TimeZone != "Europe/Berlin" || e.RecurringEventId != CalendarEventStandup ||
			e.OriginalStartTime == nil || e.OriginalStartTime.DateTime != w.local || len(e.Recurrence) != 0 {
			t.Fatalf("instance %d = id %s start %+v orig %+v, want %+v", i, e.Id, e.Start, e.OriginalStartTime, w)
		}
		end, _ := time.Parse(time.RFC3339, e.End.DateTime)
		if end.Sub(st) != 15*time.Minute {
			t.Fatalf("instance %d lasts %v", i, end.Sub(st))
		}
	}

	// The same instance read by id, and the recurring event itself.
	inst, err := svc.Events.Get(CalendarTeamBerlinID, want[2].id).Do()
	if err != nil || inst.Start.DateTime != want[2].local || inst.RecurringEventId != CalendarEventStandup {
		t.Fatalf("get instance = %+v, %v", inst, err)
	}
	_, err = svc.Events.Get(CalendarTeamBerlinID, "seedstandup001_20260331T070000Z").Do() // a Tuesday
	wantCalError(t, err, 404, "notFound")
	master, err := svc.Events.Get(CalendarTeamBerlinID, CalendarEventStandup).Do()
	if err != nil || !slices.Equal(master.Recurrence, []string{"RRULE:FREQ=WEEKLY;BYDAY=MO,TH"}) ||
		master.Start.DateTime != "2025-12-08T09:00:00+01:00" {
		t.Fatalf("get recurring event = %+v, %v", master, err)
	}
}

func TestCalendarExdateAndInstances(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, alice, calScopeReadonly)
	got, err := svc.Events.Instances("primary", CalendarEventOneOnOne).Do()
	if err != nil {
		t.Fatal(err)
	}
	var starts []string
	for _, e := range got.Items {
		starts = append(starts, e.Start.DateTime)
	}
	want := []string{ // March 16 is excluded; New York moves to EDT on March 8
		"2026-03-02T14:00:00-05:00", "2026-03-09T14:00:00-04:00", "2026-03-23T14:00:00-04:00",
		"2026-03-30T14:00:00-04:00", "2026-04-06T14:00:00-04:00",
	}
	if !slices.Equal(starts, want) {
		t.Fatalf("instances = %v, want %v", starts, want)
	}
	_, err = svc.Events.Get("primary", CalendarEventOneOnOne+"_20260316T180000Z").Do()
	wantCalError(t, err, 404, "notFound")

	// The monthly review on the second Tuesday, six times.
	got, err = svc.Events.Instances("primary", CalendarEventMonthlyReview).TimeMin("2026-04-01T00:00:00Z").MaxResults(2).Do()
	if err != nil || len(got.Items) != 2 || got.Items[0].Start.DateTime != "2026-04-14T10:00:00-04:00" ||
		got.Items[1].Start.DateTime != "2026-05-12T10:00:00-04:00" || got.NextPageToken == "" {
		t.Fatalf("monthly instances = %+v, %v", got, err)
	}
	got, err = svc.Events.Instances("primary", CalendarEventMonthlyReview).PageToken(got.NextPageToken).TimeMin("2026-04-01T00:00:00Z").Do()
	if err != nil || len(got.Items) != 3 || got.Items[2].Start.DateTime != "2026-08-11T10:00:00-04:00" {
		t.Fatalf("monthly instances page 2 = %v, %v", got, err)
	}
}

func TestCalendarAllDayEvents(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, alice, calScopeReadonly)
	e, err := svc.Events.Get("primary", CalendarEventOffsite).Do()
	if err != nil || e.Start.Date != "2026-03-09" || e.End.Date != "2026-03-12" || e.Start.DateTime != "" {
		t.Fatalf("offsite = %+v %+v, %v", e.Start, e.End, err)
	}
	tests := []struct {
		name             string
		timeMin, timeMax string
		want             bool
	}{
		{"last evening of the offsite", "2026-03-11T23:00:00-04:00", "2026-03-12T00:00:00-04:00", true},
		{"end date is exclusive", "2026-03-12T00:00:00-04:00", "2026-03-13T00:00:00-04:00", false},
		{"the day before", "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", false},
		{"midnight in New York is 04:00 UTC", "2026-03-09T03:00:00Z", "2026-03-09T04:00:01Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.Events.List("primary").TimeMin(tt.timeMin).TimeMax(tt.timeMax).Do()
			if err != nil {
				t.Fatal(err)
			}
			if has := slices.Contains(eventIDs(got.Items), CalendarEventOffsite); has != tt.want {
				t.Fatalf("offsite listed = %v, want %v (%v)", has, tt.want, eventIDs(got.Items))
			}
		})
	}
}

func TestCalendarListParameters(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, alice, calScopeReadonly)
	tests := []struct {
		name   string
		call   func() (*gcal.Events, error)
		code   int
		reason string
	}{
		{"orderBy startTime needs singleEvents", func() (*gcal.Events, error) {
			return svc.Events.List("primary").OrderBy("startTime").Do()
		}, 400, "badRequest"},
		{"unknown orderBy", func() (*gcal.Events, error) { return svc.Events.List("primary").OrderBy("summary").Do() }, 400, "invalidParameter"},
		{"timeMin without offset", func() (*gcal.Events, error) {
			return svc.Events.List("primary").TimeMin("2026-03-02T00:00:00").Do()
		}, 400, "badRequest"},
		{"timeMax before timeMin", func() (*gcal.Events, error) {
			return svc.Events.List("primary").TimeMin("2026-03-03T00:00:00Z").TimeMax("2026-03-02T00:00:00Z").Do()
		}, 400, "timeRangeEmpty"},
		{"unknown time zone", func() (*gcal.Events, error) { return svc.Events.List("primary").TimeZone("Mars/Olympus").Do() }, 400, "invalid"},
		{"bad maxResults", func() (*gcal.Events, error) { return svc.Events.List("primary").MaxResults(-1).Do() }, 400, "invalid"},
		{"forged page token", func() (*gcal.Events, error) { return svc.Events.List("primary").PageToken("bm9wZQ").Do() }, 400, "invalid"},
		{"unknown calendar", func() (*gcal.Events, error) { return svc.Events.List("nobody@sandbox.example").Do() }, 404, "notFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.call()
			wantCalError(t, err, tt.code, tt.reason)
		})
	}

	// orderBy startTime and updated.
	got, err := svc.Events.List("primary").SingleEvents(true).OrderBy("startTime").TimeMin("2026-03-01T00:00:00Z").TimeMax("2026-04-01T00:00:00Z").Do()
	if err != nil {
		t.Fatal(err)
	}
	var prev time.Time
	for _, e := range got.Items {
		s := e.Start.DateTime
		if s == "" {
			s = e.Start.Date + "T00:00:00-04:00"
		}
		st, _ := time.Parse(time.RFC3339, s)
		if st.Before(prev) {
			t.Fatalf("not ordered by start: %v", eventIDs(got.Items))
		}
		prev = st
	}
	if _, err := svc.Events.List("primary").OrderBy("updated").Do(); err != nil {
		t.Fatalf("orderBy=updated: %v", err)
	}

	// The timeZone parameter renders date-times in another offset, keeping each event's zone.
	got, err = svc.Events.List("primary").TimeZone("Asia/Tokyo").Q("kickoff").Do()
	if err != nil || len(got.Items) != 1 || got.Items[0].Start.DateTime != "2026-03-04T00:00:00+09:00" ||
		got.Items[0].Start.TimeZone != "America/New_York" || got.TimeZone != "America/New_York" {
		t.Fatalf("timeZone=Asia/Tokyo: %+v, %v", got, err)
	}
	e, err := svc.Events.Get("primary", CalendarEventKickoff).TimeZone("UTC").Do()
	if err != nil || e.Start.DateTime != "2026-03-03T15:00:00Z" {
		t.Fatalf("get timeZone=UTC: %+v, %v", e, err)
	}
}

func TestCalendarPagination(t *testing.T) {
	h := newHarness(t)
	svc := calService(t, h, alice, calScopeReadonly)
	call := func(tok string) (*gcal.Events, error) {
		return svc.Events.List(CalendarTeamBerlinID).SingleEvents(true).OrderBy("startTime").
			TimeMin("2026-01-01T00:00:00Z").TimeMax("2027-01-01T00:00:00Z").MaxResults(7).PageToken(tok).Do()
	}
	var all []string
	tok, pages := "", 0
	for {
		got, err := call(tok)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Items) > 7 {
			t.Fatalf("page of %d items", len(got.Items))
		}
		all = append(all, eventIDs(got.Items)...)
		pages++
		if tok = got.NextPageToken; tok == "" {
			break
		}
	}
	// Mondays and Thursdays of 2026: 52 + 53.
	if len(all) != 105 || pages != 15 {
		t.Fatalf("%d instances over %d pages", len(all), pages)
	}
	if len(slices.Compact(slices.Clone(all))) != len(all) {
		t.Fatal("duplicate instances across pages")
	}
	all2, err := svc.Events.List(CalendarTeamBerlinID).SingleEvents(true).OrderBy("startTime").
		TimeMin("2026-01-01T00:00:00Z").TimeMax("2027-01-01T00:00:00Z").MaxResults(5000).Do()
	if err != nil || len(all2.Items) != 105 || !slices.Equal(eventIDs(all2.Items), all) {
		t.Fatalf("single page (maxResults capped at 2500) = %d items, %v", len(all2.Items), err)
	}
}

func TestCalendarUnknownPaths(t *testing.T) {
	h := newHarness(t)
	ts, err := h.sb.IssueTokens(alice, webClientID, []string{calScopeFull})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/calendar/v3/nothing", "/calendar/v3/calendars/primary/acl", "/calendar/v3/users/me/settings"} {
		code, body, _ := h.bearerGet(path, ts.AccessToken.Reveal())
		if code != 404 || !strings.Contains(str(body["error"].(map[string]any), "status"), "NOT_FOUND") {
			t.Fatalf("GET %s = %d %v", path, code, body)
		}
	}
}
