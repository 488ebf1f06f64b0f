package gmail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/tools"
)

// This file holds the recipient allow list: one per principal (the person, whichever of
// their Google accounts sends), kept sealed in the tools' key-value store. An empty list
// means no restriction, as in the Python server; once it has entries, sending to anyone
// outside it needs the person's confirmation (see confirm.go).

// maxAllowList bounds the entries of one list.
const maxAllowList = 1000

type allowList struct{ kv store.Store }

func allowKey(p identity.Principal) string {
	sum := sha256.Sum256([]byte(p.Subject))
	return "gmail/allowlist/" + hex.EncodeToString(sum[:])
}

// get returns the principal's list (nil when none).
func (a allowList) get(ctx context.Context, p identity.Principal) ([]string, error) {
	if a.kv == nil {
		return nil, nil
	}
	b, err := a.kv.Get(ctx, allowKey(p))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the gmail allow list: %w", err)
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("decoding the gmail allow list: %w", err)
	}
	return list, nil
}

// update changes the principal's list atomically and returns the new list.
func (a allowList) update(ctx context.Context, p identity.Principal, fn func([]string) ([]string, error)) ([]string, error) {
	var out []string
	err := a.kv.Update(ctx, allowKey(p), func(cur []byte, exists bool) ([]byte, time.Duration, error) {
		var list []string
		if exists {
			if err := json.Unmarshal(cur, &list); err != nil {
				return nil, 0, fmt.Errorf("decoding the gmail allow list: %w", err)
			}
		}
		next, err := fn(list)
		if err != nil {
			return nil, 0, err
		}
		b, err := json.Marshal(next)
		if err != nil {
			return nil, 0, err
		}
		out = next
		return b, 0, nil
	})
	return out, err
}

// notAllowed returns the recipients outside the principal's list; none when the list is
// empty. The acting account itself is always allowed.
func (a allowList) notAllowed(ctx context.Context, p identity.Principal, self string, recipients []string) ([]string, error) {
	list, err := a.get(ctx, p)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	var out []string
	for _, r := range recipients {
		if !strings.EqualFold(r, self) && !containsFold(list, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// AllowListInput is the input of manage_gmail_allow_list.
type AllowListInput struct {
	tools.AccountParam
	Action string   `json:"action" enum:"view,add,remove" jsonschema:"'view' shows the list; 'add' and 'remove' change it."`
	Email  []string `json:"email,omitempty" jsonschema:"For add and remove: the email addresses (each entry may also be a comma-separated list)."`
}

// AllowListOutput is the list after the action.
type AllowListOutput struct {
	Action        string   `json:"action"`
	AllowedEmails []string `json:"allowed_emails,omitempty"`
	Count         int      `json:"count"`
	IsConfigured  bool     `json:"is_configured" jsonschema:"False when the list is empty: then every recipient is allowed without confirmation."`
	Added         []string `json:"added,omitempty"`
	Removed       []string `json:"removed,omitempty"`
	Unchanged     []string `json:"unchanged,omitempty" jsonschema:"Addresses already on the list (add) or not on it (remove)."`
	Message       string   `json:"message"`
}

func (k *kit) registerAllowList(r *tools.Registry) {
	add(r, k.d, &mcp.Tool{Name: "manage_gmail_allow_list", Annotations: &mcp.ToolAnnotations{Title: "Gmail recipient allow list",
		DestructiveHint: new(false), IdempotentHint: true, OpenWorldHint: new(false)},
		Description: "View or change the person's Gmail recipient allow list. While the list is empty every recipient is " +
			"allowed. Once it has entries, send_gmail_message, reply_to_gmail_message and forward_gmail_message ask the " +
			"person to confirm before mailing anyone not on it (or save a draft when the client cannot ask). Only change " +
			"the list when the person asks you to."},
		tools.Spec{Tier: tools.Complete}, nil, k.manageAllowList)
}

func (k *kit) manageAllowList(ctx context.Context, c tools.Call, in AllowListInput) (AllowListOutput, error) {
	if k.allow.kv == nil {
		return AllowListOutput{}, tools.Errorf("The Gmail allow list is not available on this server (it has no settings store).")
	}
	action := strings.ToLower(strings.TrimSpace(in.Action))
	out := AllowListOutput{Action: action}
	var list []string
	var err error
	switch action {
	case "view":
		list, err = k.allow.get(ctx, c.Principal)
	case "add", "remove":
		var addrs []string
		if addrs, err = allowEntries(in.Email); err != nil {
			return AllowListOutput{}, err
		}
		list, err = k.allow.update(ctx, c.Principal, func(cur []string) ([]string, error) {
			out.Added, out.Removed, out.Unchanged = nil, nil, nil
			for _, a := range addrs {
				has := containsFold(cur, a)
				switch {
				case action == "add" && !has:
					cur = append(cur, a)
					out.Added = append(out.Added, a)
				case action == "remove" && has:
					cur = slices.DeleteFunc(cur, func(v string) bool { return strings.EqualFold(v, a) })
					out.Removed = append(out.Removed, a)
				default:
					out.Unchanged = append(out.Unchanged, a)
				}
			}
			if len(cur) > maxAllowList {
				return nil, tools.Errorf(fmt.Sprintf("The allow list can hold at most %d addresses.", maxAllowList))
			}
			return cur, nil
		})
	default:
		return AllowListOutput{}, tools.Errorf("action must be 'view', 'add' or 'remove'.")
	}
	if err != nil {
		return AllowListOutput{}, err
	}
	slices.Sort(list)
	out.AllowedEmails, out.Count, out.IsConfigured = list, len(list), len(list) > 0
	switch {
	case action == "view" && len(list) == 0:
		out.Message = "The allow list is empty: mail to any recipient is sent without confirmation."
	case action == "view":
		out.Message = fmt.Sprintf("%d address(es) are allowed; mail to anyone else needs the person's confirmation.", len(list))
	default:
		out.Message = fmt.Sprintf("Added %d, removed %d; the list now holds %d address(es).", len(out.Added), len(out.Removed), len(list))
	}
	return out, nil
}

// allowEntries reads the addresses of an add or remove.
func allowEntries(entries []string) ([]string, error) {
	var out []string
	for _, e := range entries {
		for part := range strings.SplitSeq(e, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			a, err := mail.ParseAddress(part)
			if err != nil || !strings.Contains(a.Address, "@") {
				return nil, tools.Errorf(fmt.Sprintf("%q is not an email address; pass addresses like name@example.com.", part))
			}
			if addr := strings.ToLower(a.Address); !slices.Contains(out, addr) {
				out = append(out, addr)
			}
		}
	}
	if len(out) == 0 {
		return nil, tools.Errorf("email is required for add and remove: pass one or more addresses.")
	}
	return out, nil
}
