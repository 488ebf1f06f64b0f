package workspace

import (
	"context"
	"net/http"

	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/chat/v1"
	"google.golang.org/api/docs/v1"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/forms/v1"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"
	"google.golang.org/api/people/v1"
	"google.golang.org/api/sheets/v4"
	"google.golang.org/api/slides/v1"
	"google.golang.org/api/tasks/v1"
)

// Service names a Google API.
type Service string

// The services a Factory builds clients for.
const (
	ServiceDrive    Service = "drive"
	ServiceGmail    Service = "gmail"
	ServiceCalendar Service = "calendar"
	ServiceDocs     Service = "docs"
	ServiceSheets   Service = "sheets"
	ServiceSlides   Service = "slides"
	ServiceForms    Service = "forms"
	ServiceChat     Service = "chat"
	ServicePeople   Service = "people"
	ServiceTasks    Service = "tasks"
	ServicePhotos   Service = "photos"
)

// serviceHTTP keys the plain HTTP client of HTTPClient in the cache.
const serviceHTTP Service = "http"

type serviceInfo struct {
	display string
	google  string // Google's endpoint: the generated basePath (photos: its REST root)
	path    string // the endpoint's path under GOOGLE_API_BASE_URL
}

// services maps each service to its endpoints. The Google endpoints are the generated
// basePath constants of google.golang.org/api v0.309.0; paths under a base URL keep
// whatever part of Google's path the generated relative URLs do not carry.
var services = map[Service]serviceInfo{
	ServiceDrive:    {"Google Drive", "https://www.googleapis.com/drive/v3/", "/drive/v3/"},
	ServiceGmail:    {"Gmail", "https://gmail.googleapis.com/", "/"},
	ServiceCalendar: {"Google Calendar", "https://www.googleapis.com/calendar/v3/", "/calendar/v3/"},
	ServiceDocs:     {"Google Docs", "https://docs.googleapis.com/", "/"},
	ServiceSheets:   {"Google Sheets", "https://sheets.googleapis.com/", "/"},
	ServiceSlides:   {"Google Slides", "https://slides.googleapis.com/", "/"},
	ServiceForms:    {"Google Forms", "https://forms.googleapis.com/", "/"},
	ServiceChat:     {"Google Chat", "https://chat.googleapis.com/", "/"},
	ServicePeople:   {"Google Contacts (People API)", "https://people.googleapis.com/", "/"},
	ServiceTasks:    {"Google Tasks", "https://tasks.googleapis.com/", "/"},
	ServicePhotos:   {"Google Photos", "https://photoslibrary.googleapis.com/", "/"},
}

// Services lists every service, in a stable order.
func Services() []Service {
	return []Service{ServiceDrive, ServiceGmail, ServiceCalendar, ServiceDocs, ServiceSheets,
		ServiceSlides, ServiceForms, ServiceChat, ServicePeople, ServiceTasks, ServicePhotos}
}

// DisplayName is the product name used in messages ("Google Drive"), or "" for an
// unknown service.
func (s Service) DisplayName() string { return services[s].display }

// Endpoint returns the endpoint a service's client uses: Google's own, or its place
// under GOOGLE_API_BASE_URL (see the package doc). It always ends in "/"; for Photos,
// append "v1/mediaItems" and so on. It returns "" for an unknown service.
func (f *Factory) Endpoint(s Service) string {
	info, ok := services[s]
	if !ok {
		return ""
	}
	if f.base == nil {
		return info.google
	}
	return f.base.String() + info.path
}

// clientOptions are the options every generated service is built with.
func (f *Factory) clientOptions(s Service, hc *http.Client) []option.ClientOption {
	return []option.ClientOption{
		option.WithHTTPClient(hc),
		option.WithEndpoint(f.Endpoint(s)),
		// Ignored by google-api-go next to WithHTTPClient; the UserAgent field is set too.
		option.WithUserAgent(f.opts.UserAgent),
	}
}

// Drive returns the account's Drive client.
func (f *Factory) Drive(ctx context.Context, email string) (*drive.Service, error) {
	return lookup(f, ctx, email, ServiceDrive, func(ctx context.Context, hc *http.Client) (*drive.Service, error) {
		s, err := drive.NewService(ctx, f.clientOptions(ServiceDrive, hc)...)
		if err == nil {
			s.UserAgent = f.opts.UserAgent
		}
		return s, err
	})
}

// Gmail returns the account's Gmail client.
func (f *Factory) Gmail(ctx context.Context, email string) (*gmail.Service, error) {
	return lookup(f, ctx, email, ServiceGmail, func(ctx context.Context, hc *http.Client) (*gmail.Service, error) {
		s, err := gmail.NewService(ctx, f.clientOptions(ServiceGmail, hc)...)
		if err == nil {
			s.UserAgent = f.opts.UserAgent
		}
		return s, err
	})
}

// Calendar returns the account's Calendar client.
func (f *Factory) Calendar(ctx context.Context, email string) (*calendar.Service, error) {
	return lookup(f, ctx, email, ServiceCalendar, func(ctx context.Context, hc *http.Client) (*calendar.Service, error) {
		s, err := calendar.NewService(ctx, f.clientOptions(ServiceCalendar, hc)...)
		if err == nil {
			s.UserAgent = f.opts.UserAgent
		}
		return s, err
	})
}

// Docs returns the account's Docs client.
func (f *Factory) Docs(ctx context.Context, email string) (*docs.Service, error) {
	return lookup(f, ctx, email, ServiceDocs, func(ctx context.Context, hc *http.Client) (*docs.Service, error) {
		s, err := docs.NewService(ctx, f.clientOptions(ServiceDocs, hc)...)
		if err == nil {
			s.UserAgent = f.opts.UserAgent
		}
		return s, err
	})
}

// Sheets returns the account's Sheets client.
func (f *Factory) Sheets(ctx context.Context, email string) (*sheets.Service, error) {
	return lookup(f, ctx, email, ServiceSheets, func(ctx context.Context, hc *http.Client) (*sheets.Service, error) {
		s, err := sheets.NewService(ctx, f.clientOptions(ServiceSheets, hc)...)
		if err == nil {
			s.UserAgent = f.opts.UserAgent
		}
		return s, err
	})
}

// Slides returns the account's Slides client.
func (f *Factory) Slides(ctx context.Context, email string) (*slides.Service, error) {
	return lookup(f, ctx, email, ServiceSlides, func(ctx context.Context, hc *http.Client) (*slides.Service, error) {
		s, err := slides.NewService(ctx, f.clientOptions(ServiceSlides, hc)...)
		if err == nil {
			s.UserAgent = f.opts.UserAgent
		}
		return s, err
	})
}

// Forms returns the account's Forms client.
func (f *Factory) Forms(ctx context.Context, email string) (*forms.Service, error) {
	return lookup(f, ctx, email, ServiceForms, func(ctx context.Context, hc *http.Client) (*forms.Service, error) {
		s, err := forms.NewService(ctx, f.clientOptions(ServiceForms, hc)...)
		if err == nil {
			s.UserAgent = f.opts.UserAgent
		}
		return s, err
	})
}

// Chat returns the account's Chat client.
func (f *Factory) Chat(ctx context.Context, email string) (*chat.Service, error) {
	return lookup(f, ctx, email, ServiceChat, func(ctx context.Context, hc *http.Client) (*chat.Service, error) {
		s, err := chat.NewService(ctx, f.clientOptions(ServiceChat, hc)...)
		if err == nil {
			s.UserAgent = f.opts.UserAgent
		}
		return s, err
	})
}

// People returns the account's People (contacts) client.
func (f *Factory) People(ctx context.Context, email string) (*people.Service, error) {
	return lookup(f, ctx, email, ServicePeople, func(ctx context.Context, hc *http.Client) (*people.Service, error) {
		s, err := people.NewService(ctx, f.clientOptions(ServicePeople, hc)...)
		if err == nil {
			s.UserAgent = f.opts.UserAgent
		}
		return s, err
	})
}

// Tasks returns the account's Tasks client.
func (f *Factory) Tasks(ctx context.Context, email string) (*tasks.Service, error) {
	return lookup(f, ctx, email, ServiceTasks, func(ctx context.Context, hc *http.Client) (*tasks.Service, error) {
		s, err := tasks.NewService(ctx, f.clientOptions(ServiceTasks, hc)...)
		if err == nil {
			s.UserAgent = f.opts.UserAgent
		}
		return s, err
	})
}

// Photos returns an authenticated HTTP client for the Photos Library API, which has no
// generated Go client: build URLs from Endpoint(ServicePhotos) ("v1/mediaItems", ...).
// Its error responses are labelled for Describe.
func (f *Factory) Photos(ctx context.Context, email string) (*http.Client, error) {
	return lookup(f, ctx, email, ServicePhotos, func(_ context.Context, hc *http.Client) (*http.Client, error) {
		return hc, nil
	})
}
