package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/secret"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// The Drive tests drive the fake through google.golang.org/api/drive/v3, the client gwmcp's
// tools use, pointed at the sandbox with option.WithEndpoint(BASE+"/drive/v3/").

const (
	driveTestClient  = "drive-tests.apps.googleusercontent.com"
	driveOtherClient = "drive-other-app.apps.googleusercontent.com"
	driveAlice       = "alice@sandbox.example"
	driveBob         = "bob@sandbox.example"
	driveCarol       = "carol@sandbox.example"
	driveDave        = "dave@consumer.example"
)

// driveTestKey is one RSA key shared by every Drive test sandbox, to save key generation.
var driveTestKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

type driveClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *driveClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *driveClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// driveEnv is a sandbox served over httptest, with a log of the requests the clients made.
type driveEnv struct {
	t     *testing.T
	sb    *Sandbox
	srv   *httptest.Server
	clock *driveClock

	mu   sync.Mutex
	reqs []string // "METHOD path?uploadType=...&upload_id=<set>"
}

func newDriveEnv(t *testing.T) *driveEnv {
	t.Helper()
	clock := &driveClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	sb, err := New(Options{Now: clock.Now, SigningKey: driveTestKey(), Clients: []Client{
		{ID: driveTestClient, Secret: secret.New("GOCSPX-drive"), RedirectURIs: []string{"https://gwmcp.test/cb"}},
		{ID: driveOtherClient, Secret: secret.New("GOCSPX-other"), RedirectURIs: []string{"https://other.test/cb"}},
	}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	sb.SetIssuer(srv.URL)
	return &driveEnv{t: t, sb: sb, srv: srv, clock: clock}
}

func (e *driveEnv) token(email, client string, scopes ...string) string {
	e.t.Helper()
	if len(scopes) == 0 {
		scopes = []string{driveScopeFull}
	}
	ts, err := e.sb.IssueTokens(email, client, scopes)
	if err != nil {
		e.t.Fatalf("IssueTokens: %v", err)
	}
	return ts.AccessToken.Reveal()
}

// driveBearer adds the access token and records each request's method, path and upload parameters.
type driveBearer struct {
	env   *driveEnv
	token string
	base  http.RoundTripper
}

func (b driveBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b.token != "" {
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	line := r.Method + " " + r.URL.Path
	if ut := r.URL.Query().Get("uploadType"); ut != "" {
		line += "?uploadType=" + ut
	}
	if r.URL.Query().Get("upload_id") != "" {
		line += "&upload_id"
	}
	b.env.mu.Lock()
	b.env.reqs = append(b.env.reqs, line)
	b.env.mu.Unlock()
	return b.base.RoundTrip(r)
}

func (e *driveEnv) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.reqs)
}

func (e *driveEnv) httpClient(token string) *http.Client {
	return &http.Client{Transport: driveBearer{env: e, token: token, base: e.srv.Client().Transport}}
}

// svc returns a Drive client acting as email through driveTestClient with scopes (default: drive).
func (e *driveEnv) svc(email string, scopes ...string) *drive.Service {
	return e.svcWith(e.token(email, driveTestClient, scopes...))
}

func (e *driveEnv) svcWith(token string) *drive.Service {
	e.t.Helper()
	s, err := drive.NewService(e.t.Context(), option.WithEndpoint(e.srv.URL+"/drive/v3/"),
		option.WithHTTPClient(e.httpClient(token)))
	if err != nil {
		e.t.Fatalf("drive.NewService: %v", err)
	}
	return s
}

// raw sends a request with a driveBearer token and returns status, headers and body.
func (e *driveEnv) raw(method, path, token string, body io.Reader, hdr ...string) (int, http.Header, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.httpClient(token).Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// driveGoogleErr is the JSON error body Google sends.
type driveGoogleErr struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Reason, Message, Location, LocationType, Domain string
		} `json:"errors"`
	} `json:"error"`
}

func driveDecodeErr(t *testing.T, b []byte) driveGoogleErr {
	t.Helper()
	var g driveGoogleErr
	if err := json.Unmarshal(b, &g); err != nil || len(g.Error.Errors) == 0 {
		t.Fatalf("not a Google error body: %s", b)
	}
	return g
}

// wantAPIErr checks a client error's status, reason and (when not empty) message.
func driveWantErr(t *testing.T, err error, code int, reason, message string) {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		t.Fatalf("error = %v, want googleapi.Error %d %s", err, code, reason)
	}
	if ge.Code != code || len(ge.Errors) == 0 || ge.Errors[0].Reason != reason {
		t.Fatalf("error = %d %+v, want %d %s", ge.Code, ge.Errors, code, reason)
	}
	if message != "" && ge.Message != message {
		t.Fatalf("message = %q, want %q", ge.Message, message)
	}
}

func driveFileIDs(files []*drive.File) []string {
	ids := make([]string, 0, len(files))
	for _, f := range files {
		ids = append(ids, f.Id)
	}
	slices.Sort(ids)
	return ids
}

func driveSorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func driveMust[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func TestDriveUnauthenticatedAndScriptedFailures(t *testing.T) {
	e := newDriveEnv(t)
	status, hdr, body := e.raw("GET", "/drive/v3/files", "", nil)
	if status != 401 || !strings.Contains(hdr.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("no token: %d %v", status, hdr)
	}
	if g := driveDecodeErr(t, body); g.Error.Errors[0].Reason != "required" {
		t.Fatalf("no token: %+v", g)
	}
	if status, _, _ := e.raw("GET", "/drive/v3/files", "ya29.not-a-token", nil); status != 401 {
		t.Fatalf("bad token: %d", status)
	}

	svc := e.svc(driveAlice)
	e.sb.FailAPI("drive", 1, APIFailure{Status: 429})
	_, err := svc.Files.List().Do()
	driveWantErr(t, err, 429, "rateLimitExceeded", "Rate Limit Exceeded")
	if _, err := svc.Files.List().Do(); err != nil {
		t.Fatalf("after the scripted failure: %v", err)
	}
	if n := e.sb.APIFailuresServed(); n != 1 {
		t.Fatalf("APIFailuresServed = %d", n)
	}
	e.sb.FailAPI("gmail", 1, APIFailure{Status: 503})
	if _, err := svc.Files.List().Do(); err != nil {
		t.Fatalf("a gmail failure hit drive: %v", err)
	}
}

func TestDriveScopes(t *testing.T) {
	e := newDriveEnv(t)
	ro := e.svc(driveAlice, driveScopeReadonly)
	if _, err := ro.Files.List().Do(); err != nil {
		t.Fatalf("drive.readonly list: %v", err)
	}
	_, err := ro.Files.Create(&drive.File{Name: "nope"}).Do()
	driveWantErr(t, err, 403, "insufficientPermissions", "Request had insufficient authentication scopes.")
	_, err = ro.Files.Update(SeedDriveLaunchPlanID, &drive.File{Name: "x"}).Do()
	driveWantErr(t, err, 403, "insufficientPermissions", "")
	_, err = ro.Permissions.Create(SeedDriveLaunchPlanID, &drive.Permission{Type: "anyone", Role: "reader"}).Do()
	driveWantErr(t, err, 403, "insufficientPermissions", "")
	if err := ro.Files.Delete(SeedDriveLaunchPlanID).Do(); err == nil {
		t.Fatal("drive.readonly deleted a file")
	}

	// drive.metadata.readonly reads metadata but not content.
	meta := e.svc(driveAlice, driveScopeMetadataRO)
	if _, err := meta.Files.Get(SeedDriveReleaseNotesID).Do(); err != nil {
		t.Fatalf("metadata.readonly get: %v", err)
	}
	_, err = meta.Files.Get(SeedDriveReleaseNotesID).Download()
	driveWantErr(t, err, 403, "insufficientPermissions", "")
	_, err = meta.Files.Export(SeedDriveLaunchPlanID, "text/plain").Download()
	driveWantErr(t, err, 403, "insufficientPermissions", "")

	// drive.metadata changes metadata but not content.
	md := e.svc(driveAlice, driveScopeMetadata)
	if _, err := md.Files.Update(SeedDriveReleaseNotesID, &drive.File{Description: "described"}).Do(); err != nil {
		t.Fatalf("drive.metadata rename: %v", err)
	}
	_, err = md.Files.Update(SeedDriveReleaseNotesID, &drive.File{}).Media(strings.NewReader("new")).Do()
	driveWantErr(t, err, 403, "insufficientPermissions", "")

	// A Gmail-only token reaches nothing in Drive.
	gm := e.svc(driveAlice, "https://www.googleapis.com/auth/gmail.readonly")
	_, err = gm.Files.List().Do()
	driveWantErr(t, err, 403, "insufficientPermissions", "")

	// drive.file sees only what its app created.
	app := e.svc(driveAlice, driveScopeFile)
	list := driveMust[*drive.FileList](t)(app.Files.List().Do())
	if len(list.Files) != 0 {
		t.Fatalf("drive.file token sees %d seeded files", len(list.Files))
	}
	_, err = app.Files.Get(SeedDriveLaunchPlanID).Do()
	driveWantErr(t, err, 404, "notFound", "File not found: "+SeedDriveLaunchPlanID+".")
	made := driveMust[*drive.File](t)(app.Files.Create(&drive.File{Name: "app file.txt"}).Media(strings.NewReader("hi")).Do())
	list = driveMust[*drive.FileList](t)(app.Files.List().Do())
	if got := driveFileIDs(list.Files); !slices.Equal(got, []string{made.Id}) {
		t.Fatalf("drive.file list = %v, want the created file", got)
	}
	other := e.svcWith(e.token(driveAlice, driveOtherClient, driveScopeFile))
	_, err = other.Files.Get(made.Id).Do()
	driveWantErr(t, err, 404, "notFound", "")
	if _, err := e.svc(driveAlice).Files.Get(made.Id).Do(); err != nil {
		t.Fatalf("full drive token cannot see the app's file: %v", err)
	}
}

func TestDriveETagAndNotModified(t *testing.T) {
	e := newDriveEnv(t)
	svc := e.svc(driveAlice)
	f := driveMust[*drive.File](t)(svc.Files.Get(SeedDriveLaunchPlanID).Fields("id,name,version").Do())
	tag := f.Header.Get("ETag")
	if tag == "" || !strings.HasPrefix(tag, `"`) {
		t.Fatalf("ETag = %q", tag)
	}
	_, err := svc.Files.Get(SeedDriveLaunchPlanID).Fields("id,name,version").IfNoneMatch(tag).Do()
	if !googleapi.IsNotModified(err) {
		t.Fatalf("If-None-Match with the current ETag: %v, want 304", err)
	}
	driveMust[*drive.File](t)(svc.Files.Update(SeedDriveLaunchPlanID, &drive.File{Name: "Q3 Launch Plan v2"}).Do())
	g := driveMust[*drive.File](t)(svc.Files.Get(SeedDriveLaunchPlanID).Fields("id,name,version").IfNoneMatch(tag).Do())
	if g.Name != "Q3 Launch Plan v2" || g.Version <= f.Version || g.Header.Get("ETag") == tag {
		t.Fatalf("after rename: %+v (version %d -> %d)", g.Name, f.Version, g.Version)
	}
}

func TestDriveAbout(t *testing.T) {
	e := newDriveEnv(t)
	svc := e.svc(driveAlice, driveScopeMetadataRO)
	_, err := svc.About.Get().Do()
	driveWantErr(t, err, 400, "required", "The 'fields' parameter is required for this method.")
	a := driveMust[*drive.About](t)(svc.About.Get().Fields("user,storageQuota,canCreateDrives").Do())
	if a.User == nil || a.User.EmailAddress != driveAlice || !a.User.Me || a.User.DisplayName != "Alice Martin" {
		t.Fatalf("user = %+v", a.User)
	}
	if a.StorageQuota == nil || a.StorageQuota.Limit == 0 || a.StorageQuota.Usage == 0 || !a.CanCreateDrives {
		t.Fatalf("about = %+v %+v", a.StorageQuota, a)
	}
	_, err = svc.About.Get().Fields("user,bogus").Do()
	driveWantErr(t, err, 400, "invalidParameter", "Invalid field selection bogus")
	d := driveMust[*drive.About](t)(e.svc(driveDave).About.Get().Fields("user(emailAddress),canCreateDrives").Do())
	if d.User.EmailAddress != driveDave || d.CanCreateDrives {
		t.Fatalf("dave = %+v", d)
	}
}
