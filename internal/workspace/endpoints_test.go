package workspace

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/api/drive/v3"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
)

// Every generated client, pointed at BASE, sends to Google's own path on BASE's host,
// uploads included; with a path prefix in BASE the prefix is kept, uploads included.
func TestEndpointMapping(t *testing.T) {
	type call struct {
		name   string
		do     func(ctx context.Context, f *Factory) error
		method string
		path   string
		query  string // a parameter that must be present
	}
	calls := []call{
		{"drive files.get", func(ctx context.Context, f *Factory) error {
			s, err := f.Drive(ctx, alice)
			if err == nil {
				_, err = s.Files.Get("f1").Fields("id,name").Context(ctx).Do()
			}
			return err
		}, "GET", "/drive/v3/files/f1", "fields=id%2Cname"},
		{"drive media upload", func(ctx context.Context, f *Factory) error {
			s, err := f.Drive(ctx, alice)
			if err == nil {
				_, err = s.Files.Create(&drive.File{Name: "a.txt"}).Media(strings.NewReader("hello")).Context(ctx).Do()
			}
			return err
		}, "POST", "/upload/drive/v3/files", "uploadType=multipart"},
		{"drive media update", func(ctx context.Context, f *Factory) error {
			s, err := f.Drive(ctx, alice)
			if err == nil {
				_, err = s.Files.Update("f1", &drive.File{}).Media(strings.NewReader("v2")).Context(ctx).Do()
			}
			return err
		}, "PATCH", "/upload/drive/v3/files/f1", "uploadType=multipart"},
		{"gmail messages.list", func(ctx context.Context, f *Factory) error {
			s, err := f.Gmail(ctx, alice)
			if err == nil {
				_, err = s.Users.Messages.List("me").Context(ctx).Do()
			}
			return err
		}, "GET", "/gmail/v1/users/me/messages", ""},
		{"gmail send with upload", func(ctx context.Context, f *Factory) error {
			s, err := f.Gmail(ctx, alice)
			if err == nil {
				_, err = s.Users.Messages.Send("me", &gmail.Message{}).
					Media(strings.NewReader("From: a\r\nTo: b\r\n\r\nhi"), googleapi.ContentType("message/rfc822")).Context(ctx).Do()
			}
			return err
		}, "POST", "/upload/gmail/v1/users/me/messages/send", "uploadType=multipart"},
		{"gmail send", func(ctx context.Context, f *Factory) error {
			s, err := f.Gmail(ctx, alice)
			if err == nil {
				_, err = s.Users.Messages.Send("me", &gmail.Message{Raw: "eA"}).Context(ctx).Do()
			}
			return err
		}, "POST", "/gmail/v1/users/me/messages/send", ""},
		{"calendar events.list", func(ctx context.Context, f *Factory) error {
			s, err := f.Calendar(ctx, alice)
			if err == nil {
				_, err = s.Events.List("primary").Context(ctx).Do()
			}
			return err
		}, "GET", "/calendar/v3/calendars/primary/events", ""},
		{"docs documents.get", func(ctx context.Context, f *Factory) error {
			s, err := f.Docs(ctx, alice)
			if err == nil {
				_, err = s.Documents.Get("d1").Context(ctx).Do()
			}
			return err
		}, "GET", "/v1/documents/d1", ""},
		{"sheets spreadsheets.get", func(ctx context.Context, f *Factory) error {
			s, err := f.Sheets(ctx, alice)
			if err == nil {
				_, err = s.Spreadsheets.Get("s1").Context(ctx).Do()
			}
			return err
		}, "GET", "/v4/spreadsheets/s1", ""},
		{"slides presentations.get", func(ctx context.Context, f *Factory) error {
			s, err := f.Slides(ctx, alice)
			if err == nil {
				_, err = s.Presentations.Get("p1").Context(ctx).Do()
			}
			return err
		}, "GET", "/v1/presentations/p1", ""},
		{"forms forms.get", func(ctx context.Context, f *Factory) error {
			s, err := f.Forms(ctx, alice)
			if err == nil {
				_, err = s.Forms.Get("fm1").Context(ctx).Do()
			}
			return err
		}, "GET", "/v1/forms/fm1", ""},
		{"chat spaces.list", func(ctx context.Context, f *Factory) error {
			s, err := f.Chat(ctx, alice)
			if err == nil {
				_, err = s.Spaces.List().Context(ctx).Do()
			}
			return err
		}, "GET", "/v1/spaces", ""},
		{"chat attachment upload", func(ctx context.Context, f *Factory) error {
			s, err := f.Chat(ctx, alice)
			if err == nil {
				_, err = s.Media.Upload("spaces/S1", nil).Media(strings.NewReader("img")).Context(ctx).Do()
			}
			return err
		}, "POST", "/upload/v1/spaces/S1/attachments:upload", "uploadType=multipart"},
		{"people people.get", func(ctx context.Context, f *Factory) error {
			s, err := f.People(ctx, alice)
			if err == nil {
				_, err = s.People.Get("people/me").PersonFields("names").Context(ctx).Do()
			}
			return err
		}, "GET", "/v1/people/me", "personFields=names"},
		{"tasks tasklists.list", func(ctx context.Context, f *Factory) error {
			s, err := f.Tasks(ctx, alice)
			if err == nil {
				_, err = s.Tasklists.List().Context(ctx).Do()
			}
			return err
		}, "GET", "/tasks/v1/users/@me/lists", ""},
		{"photos mediaItems.list", func(ctx context.Context, f *Factory) error {
			hc, err := f.Photos(ctx, alice)
			if err != nil {
				return err
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.Endpoint(ServicePhotos)+"v1/mediaItems?pageSize=5", nil)
			resp, err := hc.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}, "GET", "/v1/mediaItems", "pageSize=5"},
	}
	for _, prefix := range []string{"", "/sandbox"} {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
		f, err := New(Options{Credentials: memStore(t, validCred(alice, "ya29.valid")), Refresher: noRefresh{t},
			BaseURL: srv.URL + prefix + "/", UserAgent: "gwmcp/1.2.3"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range calls {
			t.Run(prefix+" "+c.name, func(t *testing.T) {
				if err := c.do(context.Background(), f); err != nil {
					t.Fatalf("call: %v", err)
				}
				got := srv.last()
				if got.Method != c.method || got.Path != prefix+c.path {
					t.Errorf("%s %s, want %s %s", got.Method, got.Path, c.method, prefix+c.path)
				}
				if c.query != "" && !strings.Contains(got.Query, c.query) {
					t.Errorf("query %q lacks %q", got.Query, c.query)
				}
				if got.Auth != "Bearer ya29.valid" {
					t.Errorf("Authorization = %q", got.Auth)
				}
				if !strings.Contains(got.UserAgent, "gwmcp/1.2.3") {
					t.Errorf("User-Agent = %q", got.UserAgent)
				}
			})
		}
	}
}

func TestEndpointsWithoutBaseURL(t *testing.T) {
	f, err := New(Options{Credentials: memStore(t), Refresher: noRefresh{t}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[Service]string{
		ServiceDrive:    "https://www.googleapis.com/drive/v3/",
		ServiceGmail:    "https://gmail.googleapis.com/",
		ServiceCalendar: "https://www.googleapis.com/calendar/v3/",
		ServiceDocs:     "https://docs.googleapis.com/",
		ServiceSheets:   "https://sheets.googleapis.com/",
		ServiceSlides:   "https://slides.googleapis.com/",
		ServiceForms:    "https://forms.googleapis.com/",
		ServiceChat:     "https://chat.googleapis.com/",
		ServicePeople:   "https://people.googleapis.com/",
		ServiceTasks:    "https://tasks.googleapis.com/",
		ServicePhotos:   "https://photoslibrary.googleapis.com/",
	}
	for _, s := range Services() {
		if got := f.Endpoint(s); got != want[s] {
			t.Errorf("Endpoint(%s) = %q, want %q", s, got, want[s])
		}
		if s.DisplayName() == "" {
			t.Errorf("%s has no display name", s)
		}
	}
	if f.Endpoint("bogus") != "" {
		t.Error("unknown service has an endpoint")
	}
	// The generated client really uses the endpoint we chose.
	f2, _ := New(Options{Credentials: memStore(t, validCred(alice, "ya29.x")), Refresher: noRefresh{t}})
	d, err := f2.Drive(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	if d.BasePath != want[ServiceDrive] {
		t.Errorf("drive BasePath = %q", d.BasePath)
	}
}

func TestBadBaseURLRefused(t *testing.T) {
	for _, raw := range []string{"ftp://host", "not a url", "/relative", "http://", "http://u:p@host",
		"http://host/?q=1", "http://host/#frag"} {
		_, err := New(Options{Credentials: memStore(t), Refresher: noRefresh{t}, BaseURL: raw})
		if !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("BaseURL %q: err = %v", raw, err)
		}
	}
	if _, err := New(Options{Refresher: noRefresh{t}}); !errors.Is(err, ErrInvalidOptions) {
		t.Error("missing Credentials accepted")
	}
	if _, err := New(Options{Credentials: memStore(t)}); !errors.Is(err, ErrInvalidOptions) {
		t.Error("missing Refresher accepted")
	}
}

// The token goes only to the API host: another host, another scheme, or (without a base
// URL) anything but https *.googleapis.com is refused before anything is sent.
func TestTokenNeverSentToForeignHost(t *testing.T) {
	api := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	evil := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	f, err := New(Options{Credentials: memStore(t, validCred(alice, "ya29.secret")), Refresher: noRefresh{t}, BaseURL: api.URL})
	if err != nil {
		t.Fatal(err)
	}
	hc, _ := f.HTTPClient(context.Background(), alice)
	evilURL, _ := url.Parse(evil.URL)
	for _, target := range []string{
		evil.URL + "/drive/v3/files",
		"https://" + strings.TrimPrefix(api.URL, "http://") + "/drive/v3/files", // other scheme
		"http://localhost:" + evilURL.Port() + "/x",
	} {
		_, err := hc.Get(target)
		if !errors.Is(err, ErrForeignHost) {
			t.Errorf("GET %s: err = %v, want ErrForeignHost", target, err)
		}
		if strings.Contains(err.Error(), "ya29.secret") {
			t.Error("the token is in the error")
		}
	}
	if evil.count() != 0 {
		t.Error("a request reached the foreign host")
	}

	// Without a base URL: only https to Google's API hosts. A failing base transport
	// proves nothing leaves the process for the refused ones.
	sent := 0
	g, _ := New(Options{Credentials: memStore(t, validCred(alice, "ya29.secret")), Refresher: noRefresh{t},
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			sent++
			return nil, errors.New("offline")
		})})
	ghc, _ := g.HTTPClient(context.Background(), alice)
	for _, target := range []string{"http://www.googleapis.com/drive/v3/files", "https://evil.example/drive",
		"https://googleapis.com.evil.example/", "https://lh3.googleusercontent.com/photo"} {
		if _, err := ghc.Get(target); !errors.Is(err, ErrForeignHost) {
			t.Errorf("GET %s: err = %v, want ErrForeignHost", target, err)
		}
	}
	if sent != 0 {
		t.Errorf("%d refused requests were sent", sent)
	}
	if _, err := ghc.Get("https://photoslibrary.googleapis.com/v1/mediaItems"); err == nil || errors.Is(err, ErrForeignHost) || sent != 1 {
		t.Errorf("Google host: err = %v, sent %d", err, sent)
	}
	if got := Describe(ErrForeignHost); strings.Contains(got, "workspace") {
		t.Errorf("Describe = %q", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
