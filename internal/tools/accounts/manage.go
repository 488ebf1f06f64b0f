package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/tools"
)

type accountInput struct {
	UserGoogleEmail string `json:"user_google_email" jsonschema:"One of your connected Google accounts (see list_google_accounts)."`
}

// SwitchOutput is switch_google_account's answer.
type SwitchOutput struct {
	Default string `json:"default" jsonschema:"the account tools now use by default"`
	Scope   string `json:"scope" jsonschema:"session (this MCP session) or local (every desktop client)"`
}

// RevokeOutput is revoke_google_account's answer.
type RevokeOutput struct {
	Email            string `json:"email"`
	RevokedAtGoogle  bool   `json:"revokedAtGoogle" jsonschema:"gwmcp's access was revoked at Google"`
	CredentialDelete bool   `json:"credentialDeleted"`
	Message          string `json:"message"`
}

type manageInput struct {
	Email          string `json:"email,omitempty" jsonschema:"One of your connected accounts (required except for summary)."`
	Action         string `json:"action" jsonschema:"status, summary, migrate or delete"`
	NewStorageMode string `json:"new_storage_mode,omitempty" jsonschema:"For migrate: FILE_ENCRYPTED, FILE_PLAINTEXT, MEMORY_ONLY or MEMORY_WITH_BACKUP."`
}

// CredentialInfo describes how one credential is kept (no secret).
type CredentialInfo struct {
	Email       string `json:"email"`
	StorageMode string `json:"storageMode"`
	Encrypted   bool   `json:"isEncrypted"`
	OnDisk      bool   `json:"onDisk"`
	UpdatedAt   string `json:"lastModified,omitempty"`
}

// ManageOutput is manage_credentials's answer.
type ManageOutput struct {
	Success     bool             `json:"success"`
	Action      string           `json:"action"`
	Message     string           `json:"message"`
	Credentials []CredentialInfo `json:"credentials"`
}

func registerManage(r *tools.Registry, d *Deps) {
	tools.Add(r, &mcp.Tool{
		Name:        "switch_google_account",
		Title:       "Choose my default Google account",
		Description: "Makes one of your connected Google accounts the default for tools called without user_google_email (for this MCP session; on the desktop, for every desktop client).",
		Annotations: &mcp.ToolAnnotations{IdempotentHint: true, DestructiveHint: new(false), OpenWorldHint: new(false)},
	}, tools.Spec{Tier: tools.Extended}, d.switchAccount)
	tools.Add(r, &mcp.Tool{
		Name:  "revoke_google_account",
		Title: "Disconnect a Google account",
		Description: "Disconnects one of your Google accounts from gwmcp: revokes gwmcp's access at Google and deletes the stored " +
			"credential (if another gwmcp user also connected that account, only your link is removed). Ask the user first.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: new(true), IdempotentHint: true, OpenWorldHint: new(true)},
	}, tools.Spec{Tier: tools.Extended}, d.revokeAccount)
	tools.Add(r, &mcp.Tool{
		Name:  "manage_credentials",
		Title: "Manage stored credentials",
		Description: "Shows how your Google credentials are stored (status for one account, summary for all), re-saves one in the " +
			"server's storage mode (migrate), or deletes one (delete). Only your own accounts; tokens are never shown.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: new(true), OpenWorldHint: new(false)},
	}, tools.Spec{Tier: tools.Complete}, d.manageCredentials)
}

func (d *Deps) switchAccount(ctx context.Context, req *mcp.CallToolRequest, in accountInput) (*mcp.CallToolResult, SwitchOutput, error) {
	p := d.Tools.PrincipalOf(req)
	acct, err := d.Resolver.Own(ctx, p, in.UserGoogleEmail)
	if err != nil {
		return nil, SwitchOutput{}, err
	}
	if d.Local {
		if d.LocalDefault == nil {
			return nil, SwitchOutput{}, tools.Errorf("This server keeps no default account.")
		}
		if err := d.LocalDefault.Set(acct.Email); err != nil {
			return nil, SwitchOutput{}, err
		}
		return nil, SwitchOutput{Default: acct.Email, Scope: "local"}, nil
	}
	if d.Sessions == nil || req.Session == nil || req.Session.ID() == "" {
		return nil, SwitchOutput{}, tools.Errorf("This connection has no MCP session (the server runs stateless), so there is nothing to switch: pass user_google_email to each tool instead.")
	}
	if err := d.Sessions.Select(ctx, req.Session.ID(), p.Subject, acct.Email); err != nil {
		return nil, SwitchOutput{}, tools.Errorf("This MCP session is not known to gwmcp any more; reconnect and try again.")
	}
	return nil, SwitchOutput{Default: acct.Email, Scope: "session"}, nil
}

func (d *Deps) revokeAccount(ctx context.Context, req *mcp.CallToolRequest, in accountInput) (*mcp.CallToolResult, RevokeOutput, error) {
	p := d.Tools.PrincipalOf(req)
	acct, err := d.Resolver.Own(ctx, p, in.UserGoogleEmail)
	if err != nil {
		return nil, RevokeOutput{}, err
	}
	out, err := d.disconnect(ctx, p, acct.Email, true)
	return nil, out, err
}

// disconnect removes the principal's link to email; when nobody else links the account (or
// on the desktop), it also revokes at Google (if revoke) and deletes the credential.
func (d *Deps) disconnect(ctx context.Context, p identity.Principal, email string, revoke bool) (RevokeOutput, error) {
	out := RevokeOutput{Email: email}
	others := 0
	if p.Kind != identity.KindLocal {
		n, err := d.Directory.Unlink(ctx, p.Subject, email)
		if err != nil {
			return out, err
		}
		others = n
	}
	if others > 0 {
		out.Message = "Your link to " + email + " was removed. Another gwmcp user has also connected this account, so its authorization at Google was kept for them."
		return out, nil
	}
	cred, err := d.Credentials.Get(ctx, email)
	switch {
	case errors.Is(err, credentials.ErrNotFound):
	case err != nil:
		return out, err
	default:
		if revoke && d.Revoker != nil {
			tok := cred.RefreshToken
			if tok.IsZero() {
				tok = cred.AccessToken
			}
			out.RevokedAtGoogle = d.Revoker.Revoke(ctx, tok) == nil
		}
		if err := d.Credentials.Delete(ctx, email); err != nil {
			return out, err
		}
		out.CredentialDelete = true
	}
	if d.Clients != nil {
		d.Clients.Clear(email)
	}
	if d.Local && d.LocalDefault != nil && identity.CanonicalEmail(d.LocalDefault.Get()) == identity.CanonicalEmail(email) {
		_ = d.LocalDefault.Set("")
	}
	out.Message = email + " is disconnected from gwmcp."
	if revoke && !out.RevokedAtGoogle && out.CredentialDelete {
		out.Message += " Google could not be told to revoke the access; the user can remove gwmcp at https://myaccount.google.com/permissions."
	}
	return out, nil
}

func (d *Deps) manageCredentials(ctx context.Context, req *mcp.CallToolRequest, in manageInput) (*mcp.CallToolResult, ManageOutput, error) {
	p := d.Tools.PrincipalOf(req)
	action := strings.ToLower(strings.TrimSpace(in.Action))
	out := ManageOutput{Action: action, Credentials: []CredentialInfo{}}
	mode := d.Credentials.Mode()
	info := func(email string) (CredentialInfo, error) {
		c, err := d.Credentials.Get(ctx, email)
		if err != nil {
			return CredentialInfo{}, err
		}
		ci := CredentialInfo{Email: c.Email, StorageMode: string(mode), Encrypted: mode.NeedsKeyring(), OnDisk: mode.Persistent()}
		if !c.UpdatedAt.IsZero() {
			ci.UpdatedAt = c.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		return ci, nil
	}
	if action == "summary" {
		all, err := d.Resolver.Accounts(ctx, p)
		if err != nil {
			return nil, out, err
		}
		for _, a := range all {
			if ci, err := info(a.Email); err == nil {
				out.Credentials = append(out.Credentials, ci)
			}
		}
		out.Success, out.Message = true, fmt.Sprintf("%d stored credential(s), kept as %s.", len(out.Credentials), mode)
		return nil, out, nil
	}
	switch action {
	case "status", "migrate", "delete":
	default:
		return nil, out, tools.Errorf("action must be status, summary, migrate or delete.")
	}
	if strings.TrimSpace(in.Email) == "" {
		return nil, out, tools.Errorf("email is required for " + action + ": name one of your connected accounts.")
	}
	acct, err := d.Resolver.Own(ctx, p, in.Email)
	if err != nil {
		return nil, out, err
	}
	switch action {
	case "status":
		ci, err := info(acct.Email)
		if errors.Is(err, credentials.ErrNotFound) {
			out.Message = "No credential is stored for " + acct.Email + "; call start_google_auth to authorize it."
			return nil, out, nil
		}
		if err != nil {
			return nil, out, err
		}
		out.Success, out.Message, out.Credentials = true, "Credential status of "+acct.Email+".", []CredentialInfo{ci}
	case "migrate":
		target, err := credentials.ParseMode(in.NewStorageMode)
		if err != nil || in.NewStorageMode == "" {
			return nil, out, tools.Errorf("new_storage_mode must be FILE_ENCRYPTED, FILE_PLAINTEXT, MEMORY_ONLY or MEMORY_WITH_BACKUP.")
		}
		if target != mode {
			return nil, out, tools.Errorf("This server keeps every credential as " + string(mode) + "; one account cannot be kept differently. " +
				"An administrator moves all of them with `gwmcp credentials migrate --to " + string(target) + "` and sets CREDENTIAL_STORAGE_MODE=" + string(target) + ".")
		}
		c, err := d.Credentials.Get(ctx, acct.Email)
		if err != nil {
			return nil, out, tools.Errorf("No credential is stored for " + acct.Email + ".")
		}
		if err := d.Credentials.Put(ctx, c); err != nil {
			return nil, out, err
		}
		ci, _ := info(acct.Email)
		out.Success, out.Message, out.Credentials = true, acct.Email+" is stored as "+string(mode)+".", []CredentialInfo{ci}
	case "delete":
		res, err := d.disconnect(ctx, p, acct.Email, false)
		if err != nil {
			return nil, out, err
		}
		out.Success, out.Message = true, strings.Replace(res.Message, "disconnected from gwmcp", "deleted from gwmcp (its Google authorization was not revoked; use revoke_google_account for that)", 1)
	}
	return nil, out, nil
}
