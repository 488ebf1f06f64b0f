package accounts

import (
	"context"
	"errors"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/tools"
)

// AccountInfo describes one of the caller's accounts (never a token).
type AccountInfo struct {
	Email           string   `json:"email"`
	Primary         bool     `json:"primary" jsonschema:"the account the caller signed in with"`
	Default         bool     `json:"default" jsonschema:"the account tools use when user_google_email is left out"`
	Authorized      bool     `json:"authorized" jsonschema:"gwmcp holds a credential for it"`
	Services        []string `json:"services" jsonschema:"Google services granted"`
	Scopes          []string `json:"scopes" jsonschema:"granted scopes, short names"`
	AccessExpiresAt string   `json:"accessTokenExpiresAt,omitempty" jsonschema:"RFC 3339; refreshed automatically"`
	CanRefresh      bool     `json:"canRefresh" jsonschema:"a refresh token is held, so access renews without the user"`
}

// AuthStatus is check_auth_status's answer.
type AuthStatus struct {
	Caller      string        `json:"caller" jsonschema:"who is calling"`
	AuthMethod  string        `json:"authMethod" jsonschema:"oauth, local, id_token or dev"`
	StorageMode string        `json:"storageMode" jsonschema:"where credentials are kept"`
	Accounts    []AccountInfo `json:"accounts"`
	Message     string        `json:"message"`
}

// AccountList is list_google_accounts's answer.
type AccountList struct {
	Accounts []AccountInfo `json:"accounts"`
	Default  string        `json:"default,omitempty"`
}

type emptyInput struct{}

func registerStatus(r *tools.Registry, d *Deps) {
	ro := &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(false)}
	tools.Add(r, &mcp.Tool{
		Name:  "check_auth_status",
		Title: "Who am I",
		Description: "Shows who is calling gwmcp, which Google accounts they can use, the services and scopes each has granted, " +
			"when access renews and where credentials are stored. Use it before asking the user to authorize again.",
		Annotations: ro,
	}, tools.Spec{Tier: tools.Core}, func(ctx context.Context, req *mcp.CallToolRequest, _ emptyInput) (*mcp.CallToolResult, AuthStatus, error) {
		p := d.Tools.PrincipalOf(req)
		accts, err := d.accounts(ctx, req, p)
		if err != nil {
			return nil, AuthStatus{}, err
		}
		st := AuthStatus{Caller: principalName(p), AuthMethod: string(p.Kind), StorageMode: string(d.Credentials.Mode()), Accounts: accts}
		switch {
		case len(accts) == 0:
			st.Message = "No Google account is connected yet: call start_google_auth."
		default:
			st.Message = "Connected accounts are listed with what each has granted."
		}
		return nil, st, nil
	})
	tools.Add(r, &mcp.Tool{
		Name:        "list_google_accounts",
		Title:       "List my Google accounts",
		Description: "Lists the Google accounts the caller has connected to gwmcp and which one tools use by default.",
		Annotations: ro,
	}, tools.Spec{Tier: tools.Core}, func(ctx context.Context, req *mcp.CallToolRequest, _ emptyInput) (*mcp.CallToolResult, AccountList, error) {
		accts, err := d.accounts(ctx, req, d.Tools.PrincipalOf(req))
		if err != nil {
			return nil, AccountList{}, err
		}
		out := AccountList{Accounts: accts}
		for _, a := range accts {
			if a.Default {
				out.Default = a.Email
			}
		}
		return nil, out, nil
	})
}

// accounts lists the caller's own accounts with what they granted.
func (d *Deps) accounts(ctx context.Context, req *mcp.CallToolRequest, p identity.Principal) ([]AccountInfo, error) {
	all, err := d.Resolver.Accounts(ctx, p)
	if err != nil {
		return nil, err
	}
	def := d.defaultAccount(ctx, req, p, all)
	out := make([]AccountInfo, 0, len(all))
	for _, a := range all {
		info := AccountInfo{Email: a.Email, Primary: a.Primary, Default: identity.CanonicalEmail(a.Email) == identity.CanonicalEmail(def),
			Services: []string{}, Scopes: []string{}}
		c, err := d.Credentials.Get(ctx, a.Email)
		switch {
		case err == nil:
			info.Authorized = true
			info.CanRefresh = !c.RefreshToken.IsZero()
			if !c.Expiry.IsZero() {
				info.AccessExpiresAt = c.Expiry.UTC().Format(time.RFC3339)
			}
			for _, u := range c.Scopes {
				if s, ok := d.Scopes.Lookup(u); ok {
					info.Scopes = append(info.Scopes, s.Name)
					if s.Service != "identity" && !contains(info.Services, s.Service) {
						info.Services = append(info.Services, s.Service)
					}
				} else {
					info.Scopes = append(info.Scopes, u)
				}
			}
		case !errors.Is(err, credentials.ErrNotFound):
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// defaultAccount is the account tools use without user_google_email.
func (d *Deps) defaultAccount(ctx context.Context, req *mcp.CallToolRequest, p identity.Principal, all []identity.Account) string {
	if d.Sessions != nil && req.Session != nil && req.Session.ID() != "" {
		if sel := d.Sessions.Selected(ctx, req.Session.ID(), p.Subject); sel != "" {
			return sel
		}
	}
	for _, a := range all {
		if a.Primary {
			return a.Email
		}
	}
	if len(all) == 1 {
		return all[0].Email
	}
	return ""
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
