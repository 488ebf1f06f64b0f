package tools

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/store"
)

// Prefs keeps each principal's disabled-tools list (manage_tools) in the key-value store and
// enforces it: a disabled tool is left out of that principal's tools/list and refused in
// tools/call. Lists are cached for prefsCacheTTL; a change made on this replica applies at
// once, on another replica within that time.
type Prefs struct {
	deps   *Deps
	reg    *Registry
	filter Filter
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]cachedPrefs
}

const prefsCacheTTL = 5 * time.Second

type cachedPrefs struct {
	disabled []string
	at       time.Time
}

// protectedTools cannot be disabled: they are how a person gets the others back.
var protectedTools = []string{"manage_tools", "health_check", "check_auth_status"}

// NewPrefs returns the preferences over d.KV for the tools of reg that f offers.
func NewPrefs(d *Deps, reg *Registry, f Filter, now func() time.Time) *Prefs {
	if now == nil {
		now = time.Now
	}
	return &Prefs{deps: d, reg: reg, filter: f, now: now, cache: map[string]cachedPrefs{}}
}

func prefsKey(principal string) string {
	sum := sha256.Sum256([]byte(principal))
	return "tools/disabled/" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// Disabled returns the principal's disabled tools.
func (p *Prefs) Disabled(ctx context.Context, principal string) ([]string, error) {
	p.mu.Lock()
	c, ok := p.cache[principal]
	p.mu.Unlock()
	if ok && p.now().Sub(c.at) < prefsCacheTTL {
		return c.disabled, nil
	}
	var out []string
	b, err := p.deps.KV.Get(ctx, prefsKey(principal))
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, &out); err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	p.cache[principal] = cachedPrefs{disabled: out, at: p.now()}
	p.mu.Unlock()
	return out, nil
}

func (p *Prefs) set(ctx context.Context, principal string, disabled []string) error {
	slices.Sort(disabled)
	disabled = slices.Compact(disabled)
	b, _ := json.Marshal(disabled)
	if err := p.deps.KV.Set(ctx, prefsKey(principal), b, 0); err != nil {
		return err
	}
	p.mu.Lock()
	p.cache[principal] = cachedPrefs{disabled: disabled, at: p.now()}
	p.mu.Unlock()
	return nil
}

// principalOf reads the principal of any request the way tools do.
func (p *Prefs) principalOf(req mcp.Request) identity.Principal {
	if r, ok := req.(*mcp.ServerRequest[*mcp.CallToolParamsRaw]); ok {
		return p.deps.PrincipalOf(&mcp.CallToolRequest{Session: r.Session, Params: r.Params, Extra: r.Extra})
	}
	if e := req.GetExtra(); e != nil {
		return p.deps.PrincipalOf(&mcp.CallToolRequest{Extra: e})
	}
	return p.deps.Local
}

// Middleware filters tools/list and refuses tools/call of disabled tools.
func (p *Prefs) Middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if method != "tools/list" && method != "tools/call" {
			return next(ctx, method, req)
		}
		pr := p.principalOf(req)
		disabled, err := p.Disabled(ctx, pr.Subject)
		if err != nil || len(disabled) == 0 {
			return next(ctx, method, req)
		}
		if method == "tools/call" {
			if r, ok := req.(*mcp.ServerRequest[*mcp.CallToolParamsRaw]); ok && r.Params != nil && slices.Contains(disabled, r.Params.Name) {
				res := &mcp.CallToolResult{}
				res.SetError(fmt.Errorf("the tool %s is disabled for you; enable it again with manage_tools (action enable)", r.Params.Name))
				return res, nil
			}
			return next(ctx, method, req)
		}
		res, err := next(ctx, method, req)
		if lr, ok := res.(*mcp.ListToolsResult); ok && err == nil {
			lr.Tools = slices.DeleteFunc(slices.Clone(lr.Tools), func(t *mcp.Tool) bool { return slices.Contains(disabled, t.Name) })
		}
		return res, err
	}
}

type manageToolsIn struct {
	Action        string   `json:"action" enum:"list,disable,enable,disable_all_except,enable_all" jsonschema:"list, disable, enable, disable_all_except or enable_all"`
	ToolNames     []string `json:"tool_names,omitempty" jsonschema:"Tools to disable, enable or keep."`
	ServiceFilter string   `json:"service_filter,omitempty" jsonschema:"Instead of tool_names: every tool of this Google service (drive, gmail, calendar, ...)."`
	Scope         string   `json:"scope,omitempty" jsonschema:"Accepted for compatibility; gwmcp keeps the choice for you (your own disabled list), across your sessions."`
}

// ToolState is one tool in manage_tools' answer.
type ToolState struct {
	Name      string `json:"name"`
	Enabled   bool   `json:"enabled"`
	Protected bool   `json:"isProtected"`
}

// ManageToolsOut is manage_tools' answer.
type ManageToolsOut struct {
	Success   bool        `json:"success"`
	Action    string      `json:"action"`
	Tools     []ToolState `json:"toolList"`
	Affected  []string    `json:"toolsAffected"`
	Skipped   []string    `json:"toolsSkipped"`
	Message   string      `json:"message"`
	Protected []string    `json:"protectedTools"`
}

// Register adds manage_tools.
func (p *Prefs) Register(r *Registry) {
	Add(r, &mcp.Tool{
		Name:  "manage_tools",
		Title: "Choose which tools I see",
		Description: "Lists the tools this server offers you and disables or re-enables some of them, for you only and across your " +
			"sessions: disabled tools disappear from your tool list (call tools/list again). manage_tools, health_check and " +
			"check_auth_status cannot be disabled.",
		Annotations: &mcp.ToolAnnotations{IdempotentHint: true, DestructiveHint: new(false), OpenWorldHint: new(false)},
	}, Spec{Tier: Extended}, p.manage)
}

func (p *Prefs) manage(ctx context.Context, req *mcp.CallToolRequest, in manageToolsIn) (*mcp.CallToolResult, ManageToolsOut, error) {
	pr := p.deps.PrincipalOf(req)
	out := ManageToolsOut{Action: in.Action, Tools: []ToolState{}, Affected: []string{}, Skipped: []string{}, Protected: protectedTools}
	disabled, err := p.Disabled(ctx, pr.Subject)
	if err != nil {
		return nil, out, err
	}
	offered := p.reg.Select(p.filter)
	all := offered.Names()
	targets := in.ToolNames
	if len(targets) == 0 && in.ServiceFilter != "" {
		for _, t := range offered.Tools() {
			if s, _ := offered.Spec(t.Name); strings.EqualFold(s.Service, in.ServiceFilter) {
				targets = append(targets, t.Name)
			}
		}
		if len(targets) == 0 {
			return nil, out, Errorf("No tool belongs to the service " + in.ServiceFilter + ".")
		}
	}
	switch in.Action {
	case "list":
	case "disable", "enable", "disable_all_except":
		if len(targets) == 0 {
			return nil, out, Errorf("tool_names (or service_filter) is required for " + in.Action + ".")
		}
		for _, n := range targets {
			if !slices.Contains(all, n) {
				out.Skipped = append(out.Skipped, n)
			}
		}
		switch in.Action {
		case "disable":
			for _, n := range targets {
				if slices.Contains(all, n) && !slices.Contains(protectedTools, n) {
					disabled, out.Affected = append(disabled, n), append(out.Affected, n)
				} else if slices.Contains(protectedTools, n) {
					out.Skipped = append(out.Skipped, n)
				}
			}
		case "enable":
			disabled = slices.DeleteFunc(slices.Clone(disabled), func(n string) bool {
				if slices.Contains(targets, n) {
					out.Affected = append(out.Affected, n)
					return true
				}
				return false
			})
		case "disable_all_except":
			disabled = nil
			for _, n := range all {
				if !slices.Contains(targets, n) && !slices.Contains(protectedTools, n) {
					disabled, out.Affected = append(disabled, n), append(out.Affected, n)
				}
			}
		}
		if err := p.set(ctx, pr.Subject, disabled); err != nil {
			return nil, out, err
		}
	case "enable_all":
		out.Affected = append(out.Affected, disabled...)
		disabled = nil
		if err := p.set(ctx, pr.Subject, nil); err != nil {
			return nil, out, err
		}
	default:
		return nil, out, Errorf("action must be list, disable, enable, disable_all_except or enable_all.")
	}
	for _, n := range all {
		out.Tools = append(out.Tools, ToolState{Name: n, Enabled: !slices.Contains(disabled, n), Protected: slices.Contains(protectedTools, n)})
	}
	out.Success = true
	out.Message = fmt.Sprintf("%d of %d tools enabled for you.", len(all)-len(disabled), len(all))
	if in.Action != "list" && len(out.Affected) > 0 {
		out.Message += " Call tools/list again to see the change."
	}
	return nil, out, nil
}
