package accounts

import (
	"context"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/tools"
)

type startInput struct {
	UserGoogleEmail string   `json:"user_google_email,omitempty" jsonschema:"The Google address to connect, as a hint for the sign-in page; the account actually signed in is the one connected."`
	ServiceName     []string `json:"service_name,omitempty" jsonschema:"Services to pre-select on the consent page: drive, gmail, calendar, docs, sheets, slides, forms, chat, people, tasks, photos. Empty: drive, gmail, calendar, docs, sheets, people."`
	AutoOpenBrowser bool     `json:"auto_open_browser" jsonschema:"On the desktop, open the authorization page in the browser (default true)."`
	// The Python server's other options are accepted so its prompts keep working.
	ShowServiceSelection bool   `json:"show_service_selection" jsonschema:"Show the service selection page (default true; gwmcp always shows it over HTTP)."`
	AuthMethod           string `json:"auth_method,omitempty" jsonschema:"Accepted for compatibility (pkce_file, pkce_memory, file_credentials); gwmcp always uses PKCE and the server's storage mode."`
}

// StartAuthOutput is start_google_auth's answer.
type StartAuthOutput struct {
	Status        string   `json:"status" jsonschema:"success or error"`
	AuthURL       string   `json:"authUrl" jsonschema:"the URL the user must open and approve"`
	ClickableLink string   `json:"clickableLink" jsonschema:"the same URL as a Markdown link"`
	UserEmail     string   `json:"userEmail,omitempty" jsonschema:"the hinted address"`
	Services      []string `json:"services" jsonschema:"services pre-selected"`
	BrowserOpened bool     `json:"browserOpened" jsonschema:"whether a browser was opened (desktop only)"`
	ExpiresIn     int      `json:"expiresInSeconds" jsonschema:"seconds the URL stays valid"`
	Instructions  []string `json:"instructions" jsonschema:"what to tell the user"`
}

var defaultServices = []string{"drive", "gmail", "calendar", "docs", "sheets", "people"}

func registerAuth(r *tools.Registry, d *Deps) {
	tools.Add(r, &mcp.Tool{
		Name:  "start_google_auth",
		Title: "Connect a Google account",
		Description: "Starts connecting a Google account to gwmcp (or granting it more services). Returns an authorization URL: " +
			"show it to the user, who picks the services, signs in with Google and approves; then retry the call that needed it. " +
			"Already granted services are kept. The account that signs in is the one connected, whatever address was hinted.",
		Annotations: &mcp.ToolAnnotations{IdempotentHint: true, DestructiveHint: new(false), OpenWorldHint: new(true)},
	}, tools.Spec{Tier: tools.Core, Defaults: map[string]any{"auto_open_browser": true, "show_service_selection": true}}, d.startAuth)
}

func (d *Deps) startAuth(ctx context.Context, req *mcp.CallToolRequest, in startInput) (*mcp.CallToolResult, StartAuthOutput, error) {
	p := d.Tools.PrincipalOf(req)
	services := in.ServiceName
	if len(services) == 0 {
		services = defaultServices
	}
	for i, s := range services {
		services[i] = strings.ToLower(strings.TrimSpace(s))
	}
	services = slices.Compact(services)
	sc, err := d.Scopes.ForServices(services)
	if err != nil {
		return nil, StartAuthOutput{}, tools.Errorf("service_name: " + err.Error())
	}
	if d.Linker == nil {
		return nil, StartAuthOutput{}, tools.Errorf("This gwmcp server has no Google OAuth client configured, so it cannot connect accounts. " +
			"The administrator sets GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (or GOOGLE_CLIENT_SECRETS_FILE), or runs gwmcp serve --sandbox to try it.")
	}
	out := StartAuthOutput{Status: "success", UserEmail: strings.TrimSpace(in.UserGoogleEmail), Services: services}
	if d.Local {
		flow, err := d.Linker.StartLocal(context.WithoutCancel(ctx), p, out.UserEmail, sc, d.LinkTimeout)
		if err != nil {
			return nil, StartAuthOutput{}, err
		}
		go func() {
			// A re-authorized account must not keep serving calls from clients built on its
			// old grant.
			if link, err := flow.Wait(context.Background()); err == nil && d.Clients != nil {
				d.Clients.Clear(link.Email)
			}
		}()
		out.AuthURL, out.ExpiresIn = flow.URL, int(d.LinkTimeout.Seconds())
		if in.AutoOpenBrowser && d.OpenBrowser != nil {
			out.BrowserOpened = d.OpenBrowser(flow.URL) == nil
		}
	} else {
		u, err := d.Linker.URL(ctx, p, out.UserEmail, sc)
		if err != nil {
			return nil, StartAuthOutput{}, err
		}
		out.AuthURL, out.ExpiresIn = u, 600
	}
	out.ClickableLink = "[Connect a Google account](" + out.AuthURL + ")"
	out.Instructions = []string{
		"Ask the user to open the authorization URL" + map[bool]string{true: " (a browser tab was opened)", false: ""}[out.BrowserOpened] + ".",
		"They choose the services, sign in with the Google account to connect, and approve.",
		"When the page says the account is connected, retry the operation that needed it.",
	}
	return nil, out, nil
}

// principalName describes the caller for listings.
func principalName(p identity.Principal) string {
	if p.Email != "" {
		return p.Email
	}
	if p.Kind == identity.KindLocal {
		return "the local user"
	}
	return p.Subject
}
