package gmail

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	gmailapi "google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// This file holds filters: list_gmail_filters, create_gmail_filter (which, like the Python
// server, also applies its label actions to the mail already there), get_gmail_filter and
// delete_gmail_filter.

// maxRetroactive bounds the existing messages a new filter relabels.
const maxRetroactive = 5000

// FilterCriteria says which mail a filter matches.
type FilterCriteria struct {
	FromAddress    string `json:"from_address,omitempty"`
	ToAddress      string `json:"to_address,omitempty"`
	Subject        string `json:"subject,omitempty"`
	Query          string `json:"query,omitempty"`
	NegatedQuery   string `json:"negated_query,omitempty"`
	HasAttachment  bool   `json:"has_attachment,omitempty"`
	ExcludeChats   bool   `json:"exclude_chats,omitempty"`
	Size           int64  `json:"size,omitempty"`
	SizeComparison string `json:"size_comparison,omitempty"`
}

// FilterAction says what a filter does.
type FilterAction struct {
	AddLabelIDs    []string `json:"add_label_ids,omitempty"`
	RemoveLabelIDs []string `json:"remove_label_ids,omitempty"`
	Forward        string   `json:"forward,omitempty"`
}

// Filter is a Gmail filter.
type Filter struct {
	ID       string         `json:"id"`
	Criteria FilterCriteria `json:"criteria"`
	Action   FilterAction   `json:"action"`
}

func filterOf(f *gmailapi.Filter) Filter {
	out := Filter{ID: f.Id}
	if c := f.Criteria; c != nil {
		out.Criteria = FilterCriteria{FromAddress: c.From, ToAddress: c.To, Subject: c.Subject, Query: c.Query,
			NegatedQuery: c.NegatedQuery, HasAttachment: c.HasAttachment, ExcludeChats: c.ExcludeChats, Size: c.Size,
			SizeComparison: c.SizeComparison}
	}
	if a := f.Action; a != nil {
		out.Action = FilterAction{AddLabelIDs: a.AddLabelIds, RemoveLabelIDs: a.RemoveLabelIds, Forward: a.Forward}
	}
	return out
}

// ListFiltersInput is the input of list_gmail_filters.
type ListFiltersInput struct {
	tools.AccountParam
}

// ListFiltersOutput lists the filters.
type ListFiltersOutput struct {
	Filters []Filter `json:"filters,omitempty"`
	Count   int      `json:"count"`
}

// FilterIDInput names a filter.
type FilterIDInput struct {
	tools.AccountParam
	FilterID string `json:"filter_id" jsonschema:"The filter's id (from list_gmail_filters)."`
}

// CreateFilterInput is the input of create_gmail_filter.
type CreateFilterInput struct {
	tools.AccountParam
	FromAddress          string   `json:"from_address,omitempty" jsonschema:"Match mail from this sender (address or name)."`
	ToAddress            string   `json:"to_address,omitempty" jsonschema:"Match mail to this recipient."`
	SubjectContains      string   `json:"subject_contains,omitempty" jsonschema:"Match mail whose subject contains this text."`
	Query                string   `json:"query,omitempty" jsonschema:"Match mail for this Gmail search query (the operators of search_gmail_messages)."`
	HasAttachment        bool     `json:"has_attachment,omitempty" jsonschema:"Match only mail with attachments."`
	ExcludeChats         bool     `json:"exclude_chats,omitempty" jsonschema:"Leave chats out."`
	Size                 int64    `json:"size,omitempty" jsonschema:"A size in bytes, with size_comparison."`
	SizeComparison       string   `json:"size_comparison,omitempty" enum:"larger,smaller" jsonschema:"Match mail larger or smaller than size."`
	AddLabelIDs          []string `json:"add_label_ids,omitempty" jsonschema:"Labels to add to matching mail (ids or names of user labels)."`
	RemoveLabelIDs       []string `json:"remove_label_ids,omitempty" jsonschema:"Labels to remove (INBOX to skip the inbox, UNREAD to mark read)."`
	ForwardTo            string   `json:"forward_to,omitempty" jsonschema:"Forward matching mail to this address (it must be a verified forwarding address of the account)."`
	MarkAsSpam           bool     `json:"mark_as_spam,omitempty" jsonschema:"Send matching mail to spam."`
	MarkAsImportant      bool     `json:"mark_as_important,omitempty" jsonschema:"Mark matching mail important."`
	NeverMarkAsSpam      bool     `json:"never_mark_as_spam,omitempty" jsonschema:"Never send matching mail to spam."`
	NeverMarkAsImportant bool     `json:"never_mark_as_important,omitempty" jsonschema:"Never mark matching mail important."`
}

// RetroactiveResults says what became of the mail already there.
type RetroactiveResults struct {
	TotalFound     int    `json:"total_found"`
	ProcessedCount int    `json:"processed_count"`
	Truncated      bool   `json:"truncated" jsonschema:"True when more mail matched than gwmcp relabels at once (5000)."`
	SkippedReason  string `json:"skipped_reason,omitempty" jsonschema:"Why existing mail was not relabelled, if it was not."`
}

// CreateFilterOutput is the new filter.
type CreateFilterOutput struct {
	Filter             Filter              `json:"filter"`
	CriteriaSummary    string              `json:"criteria_summary"`
	ActionsSummary     string              `json:"actions_summary"`
	RetroactiveResults *RetroactiveResults `json:"retroactive_results,omitempty" jsonschema:"Present when the filter's label actions were applied to the existing mail that matches it."`
}

// DeleteFilterOutput is the result of delete_gmail_filter.
type DeleteFilterOutput struct {
	FilterID string `json:"filter_id"`
	Deleted  bool   `json:"deleted"`
	Filter   Filter `json:"filter" jsonschema:"The filter as it was before deletion."`
}

func (k *kit) registerFilters(r *tools.Registry) {
	spec := tools.Spec{Scopes: []string{ScopeSettingsBasic}, Tier: tools.Complete}
	add(r, k.d, &mcp.Tool{Name: "list_gmail_filters", Annotations: readOnly("List Gmail filters"),
		Description: "List the user's Gmail filters (rules): what each matches and what it does (labels added or " +
			"removed, forwarding)."},
		spec, nil, k.listFilters)
	add(r, k.d, &mcp.Tool{Name: "create_gmail_filter", Annotations: writes("Create a Gmail filter", false, false),
		Description: "Create a Gmail filter: at least one criterion (from_address, to_address, subject_contains, query, " +
			"has_attachment, size) and one action (add or remove labels, forward, spam, importance). Its label actions are " +
			"also applied to the existing mail that matches (up to 5000 messages) when the account allows modifying mail."},
		spec, nil, k.createFilter)
	add(r, k.d, &mcp.Tool{Name: "get_gmail_filter", Annotations: readOnly("Read a Gmail filter"),
		Description: "Read one Gmail filter by id: its criteria and actions."},
		spec, nil, k.getFilter)
	add(r, k.d, &mcp.Tool{Name: "delete_gmail_filter", Annotations: writes("Delete a Gmail filter", true, true),
		Description: "Delete a Gmail filter by id. Mail it already labelled keeps its labels. Returns the filter as it was."},
		spec, nil, k.deleteFilter)
}

func (k *kit) listFilters(ctx context.Context, c tools.Call, _ ListFiltersInput) (ListFiltersOutput, error) {
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return ListFiltersOutput{}, err
	}
	res, err := svc.Users.Settings.Filters.List("me").Context(ctx).Do()
	if err != nil {
		return ListFiltersOutput{}, err
	}
	var out ListFiltersOutput
	for _, f := range res.Filter {
		out.Filters = append(out.Filters, filterOf(f))
	}
	out.Count = len(out.Filters)
	return out, nil
}

func (k *kit) getFilter(ctx context.Context, c tools.Call, in FilterIDInput) (Filter, error) {
	if strings.TrimSpace(in.FilterID) == "" {
		return Filter{}, tools.Errorf("filter_id is required (see list_gmail_filters).")
	}
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return Filter{}, err
	}
	f, err := svc.Users.Settings.Filters.Get("me", in.FilterID).Context(ctx).Do()
	if err != nil {
		return Filter{}, err
	}
	return filterOf(f), nil
}

func (k *kit) deleteFilter(ctx context.Context, c tools.Call, in FilterIDInput) (DeleteFilterOutput, error) {
	f, err := k.getFilter(ctx, c, in)
	if err != nil {
		return DeleteFilterOutput{}, err
	}
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return DeleteFilterOutput{}, err
	}
	if err := svc.Users.Settings.Filters.Delete("me", in.FilterID).Context(ctx).Do(); err != nil {
		return DeleteFilterOutput{}, err
	}
	return DeleteFilterOutput{FilterID: in.FilterID, Deleted: true, Filter: f}, nil
}

// filterSpec turns the tool's input into Gmail's criteria and action; the spam and
// importance switches are label changes, as in Gmail's own filters.
func filterSpec(in CreateFilterInput, add, remove []string) (*gmailapi.FilterCriteria, *gmailapi.FilterAction, error) {
	crit := &gmailapi.FilterCriteria{From: strings.TrimSpace(in.FromAddress), To: strings.TrimSpace(in.ToAddress),
		Subject: strings.TrimSpace(in.SubjectContains), Query: strings.TrimSpace(in.Query), HasAttachment: in.HasAttachment,
		ExcludeChats: in.ExcludeChats, Size: in.Size, SizeComparison: in.SizeComparison}
	switch {
	case in.Size < 0:
		return nil, nil, tools.Errorf("size must not be negative.")
	case in.SizeComparison != "" && in.SizeComparison != "larger" && in.SizeComparison != "smaller":
		return nil, nil, tools.Errorf("size_comparison must be 'larger' or 'smaller'.")
	case (in.Size > 0) != (in.SizeComparison != ""):
		return nil, nil, tools.Errorf("size and size_comparison go together: give both or neither.")
	}
	if crit.From == "" && crit.To == "" && crit.Subject == "" && crit.Query == "" && !crit.HasAttachment && crit.Size == 0 {
		return nil, nil, tools.Errorf("Give at least one criterion: from_address, to_address, subject_contains, query, has_attachment or size.")
	}
	act := &gmailapi.FilterAction{AddLabelIds: add, RemoveLabelIds: remove, Forward: strings.TrimSpace(in.ForwardTo)}
	addOnce := func(list *[]string, id string) {
		if !slices.Contains(*list, id) {
			*list = append(*list, id)
		}
	}
	if in.MarkAsSpam {
		addOnce(&act.AddLabelIds, "SPAM")
	}
	if in.MarkAsImportant {
		addOnce(&act.AddLabelIds, "IMPORTANT")
	}
	if in.NeverMarkAsSpam {
		addOnce(&act.RemoveLabelIds, "SPAM")
	}
	if in.NeverMarkAsImportant {
		addOnce(&act.RemoveLabelIds, "IMPORTANT")
	}
	if len(act.AddLabelIds)+len(act.RemoveLabelIds) == 0 && act.Forward == "" {
		return nil, nil, tools.Errorf("Give at least one action: add_label_ids, remove_label_ids, forward_to, mark_as_spam, mark_as_important, never_mark_as_spam or never_mark_as_important.")
	}
	return crit, act, nil
}

func (k *kit) createFilter(ctx context.Context, c tools.Call, in CreateFilterInput) (CreateFilterOutput, error) {
	if _, _, err := filterSpec(in, in.AddLabelIDs, in.RemoveLabelIDs); err != nil {
		return CreateFilterOutput{}, err
	}
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return CreateFilterOutput{}, err
	}
	addIDs, err := labelIDs(ctx, svc, in.AddLabelIDs)
	if err != nil {
		return CreateFilterOutput{}, err
	}
	removeIDs, err := labelIDs(ctx, svc, in.RemoveLabelIDs)
	if err != nil {
		return CreateFilterOutput{}, err
	}
	crit, act, err := filterSpec(in, addIDs, removeIDs)
	if err != nil {
		return CreateFilterOutput{}, err
	}
	f, err := svc.Users.Settings.Filters.Create("me", &gmailapi.Filter{Criteria: crit, Action: act}).Context(ctx).Do()
	if err != nil {
		return CreateFilterOutput{}, err
	}
	out := CreateFilterOutput{Filter: filterOf(f), CriteriaSummary: criteriaSummary(crit), ActionsSummary: actionsSummary(act)}
	if len(act.AddLabelIds)+len(act.RemoveLabelIds) > 0 {
		out.RetroactiveResults = k.applyRetroactively(ctx, svc, crit, act)
	}
	return out, nil
}

func criteriaSummary(c *gmailapi.FilterCriteria) string {
	var parts []string
	for _, p := range [][2]string{{"From", c.From}, {"To", c.To}, {"Subject contains", c.Subject}, {"Query", c.Query}} {
		if p[1] != "" {
			parts = append(parts, p[0]+": "+p[1])
		}
	}
	if c.HasAttachment {
		parts = append(parts, "Has attachment")
	}
	if c.Size > 0 {
		parts = append(parts, "Size "+c.SizeComparison+" than "+strconv.FormatInt(c.Size, 10)+" bytes")
	}
	return strings.Join(parts, " | ")
}

func actionsSummary(a *gmailapi.FilterAction) string {
	var parts []string
	if len(a.AddLabelIds) > 0 {
		parts = append(parts, "Add labels: "+strings.Join(a.AddLabelIds, ", "))
	}
	if len(a.RemoveLabelIds) > 0 {
		parts = append(parts, "Remove labels: "+strings.Join(a.RemoveLabelIds, ", "))
	}
	if a.Forward != "" {
		parts = append(parts, "Forward to: "+a.Forward)
	}
	return strings.Join(parts, " | ")
}

// filterQuery writes a filter's criteria as a search query.
func filterQuery(c *gmailapi.FilterCriteria) string {
	var terms []string
	quote := func(op, v string) {
		if v != "" {
			terms = append(terms, op+"("+v+")")
		}
	}
	quote("from:", c.From)
	quote("to:", c.To)
	quote("subject:", c.Subject)
	if c.Query != "" {
		terms = append(terms, "("+c.Query+")")
	}
	if c.NegatedQuery != "" {
		terms = append(terms, "-("+c.NegatedQuery+")")
	}
	if c.HasAttachment {
		terms = append(terms, "has:attachment")
	}
	if c.Size > 0 {
		terms = append(terms, c.SizeComparison+":"+strconv.FormatInt(c.Size, 10))
	}
	return strings.Join(terms, " ")
}

// applyRetroactively applies a new filter's label actions to the mail that already
// matches. It needs gmail.modify beyond the filter scope: without it, it reports why it
// was skipped rather than failing the call (the filter exists either way).
func (k *kit) applyRetroactively(ctx context.Context, svc *gmailapi.Service, crit *gmailapi.FilterCriteria, act *gmailapi.FilterAction) *RetroactiveResults {
	res := &RetroactiveResults{}
	skip := func(err error) *RetroactiveResults {
		var ge *googleapi.Error
		if errors.As(err, &ge) && (ge.Code == http.StatusForbidden || ge.Code == http.StatusUnauthorized) {
			res.SkippedReason = "Existing mail was not relabelled: that needs the gmail.modify permission, which this account has not granted."
		} else {
			res.SkippedReason = "Existing mail was not relabelled: " + workspace.Describe(err)
		}
		return res
	}
	q := filterQuery(crit)
	var ids []string
	token := ""
	for {
		call := svc.Users.Messages.List("me").Q(q).MaxResults(500).Fields("messages/id", "nextPageToken").Context(ctx)
		if token != "" {
			call = call.PageToken(token)
		}
		page, err := call.Do()
		if err != nil {
			return skip(err)
		}
		for _, m := range page.Messages {
			ids = append(ids, m.Id)
		}
		if len(ids) >= maxRetroactive {
			ids, res.Truncated = ids[:maxRetroactive], true
			break
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	res.TotalFound = len(ids)
	for start := 0; start < len(ids); start += 1000 {
		chunk := ids[start:min(start+1000, len(ids))]
		err := svc.Users.Messages.BatchModify("me", &gmailapi.BatchModifyMessagesRequest{Ids: chunk,
			AddLabelIds: act.AddLabelIds, RemoveLabelIds: act.RemoveLabelIds}).Context(workspace.MarkIdempotent(ctx)).Do()
		if err != nil {
			r := skip(err)
			r.SkippedReason = fmt.Sprintf("%s (%d of %d relabelled)", r.SkippedReason, res.ProcessedCount, res.TotalFound)
			return r
		}
		res.ProcessedCount += len(chunk)
	}
	return res
}
