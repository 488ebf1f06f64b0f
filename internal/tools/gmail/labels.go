package gmail

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	gmailapi "google.golang.org/api/gmail/v1"

	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// This file holds labels: list_gmail_labels, manage_gmail_label (create, update, delete)
// and modify_gmail_message_labels.

// maxLabelBatch bounds the labels one manage_gmail_label call changes, as in the Python server.
const maxLabelBatch = 50

// Label is a Gmail label.
type Label struct {
	ID                    string `json:"id"`
	Name                  string `json:"name"`
	Type                  string `json:"type" jsonschema:"'system' (INBOX, UNREAD, ...) or 'user'."`
	MessageListVisibility string `json:"message_list_visibility,omitempty"`
	LabelListVisibility   string `json:"label_list_visibility,omitempty"`
	TextColor             string `json:"text_color,omitempty"`
	BackgroundColor       string `json:"background_color,omitempty"`
}

// ListLabelsInput is the input of list_gmail_labels.
type ListLabelsInput struct {
	tools.AccountParam
}

// ListLabelsOutput lists every label.
type ListLabelsOutput struct {
	Labels      []Label `json:"labels,omitempty"`
	TotalCount  int     `json:"total_count"`
	SystemCount int     `json:"system_count"`
	UserCount   int     `json:"user_count"`
}

// ManageLabelInput is the input of manage_gmail_label.
type ManageLabelInput struct {
	tools.AccountParam
	Action                string   `json:"action" enum:"create,update,delete" jsonschema:"create (needs name), update (needs label_id) or delete (needs label_id)."`
	Name                  []string `json:"name,omitempty" jsonschema:"create: the names of the labels to create (use 'Parent/Child' for nesting). update: the new name of each label_id, in the same order."`
	LabelID               []string `json:"label_id,omitempty" jsonschema:"update and delete: the ids of the labels (Label_12, from list_gmail_labels)."`
	LabelListVisibility   string   `json:"label_list_visibility,omitempty" enum:"labelShow,labelShowIfUnread,labelHide" jsonschema:"Whether the label shows in Gmail's label list (create default: labelShow)."`
	MessageListVisibility string   `json:"message_list_visibility,omitempty" enum:"show,hide" jsonschema:"Whether the label shows on messages (create default: show)."`
	TextColor             string   `json:"text_color,omitempty" jsonschema:"Text colour as #rrggbb from Gmail's label palette, e.g. #ffffff."`
	BackgroundColor       string   `json:"background_color,omitempty" jsonschema:"Background colour as #rrggbb from Gmail's label palette, e.g. #16a765."`
}

// LabelResult is what became of one label.
type LabelResult struct {
	LabelID string `json:"label_id,omitempty"`
	Name    string `json:"name,omitempty"`
	Success bool   `json:"success"`
	Error   string `json:"error,omitempty"`
}

// ManageLabelOutput is the result of manage_gmail_label.
type ManageLabelOutput struct {
	Action  string        `json:"action"`
	Results []LabelResult `json:"results,omitempty"`
}

// ModifyLabelsInput is the input of modify_gmail_message_labels.
type ModifyLabelsInput struct {
	tools.AccountParam
	MessageID      string   `json:"message_id" jsonschema:"The message to change."`
	AddLabelIDs    []string `json:"add_label_ids,omitempty" jsonschema:"Labels to add: ids (STARRED, IMPORTANT, UNREAD, Label_3) or names of user labels."`
	RemoveLabelIDs []string `json:"remove_label_ids,omitempty" jsonschema:"Labels to remove, the same way (remove INBOX to archive, UNREAD to mark read)."`
}

// ModifyLabelsOutput is the message's labels after the change.
type ModifyLabelsOutput struct {
	MessageID     string   `json:"message_id"`
	LabelsAdded   []string `json:"labels_added,omitempty"`
	LabelsRemoved []string `json:"labels_removed,omitempty"`
	LabelIDs      []string `json:"label_ids,omitempty" jsonschema:"Every label the message now carries."`
}

func (k *kit) registerLabels(r *tools.Registry) {
	add(r, k.d, &mcp.Tool{Name: "list_gmail_labels", Annotations: readOnly("List Gmail labels"),
		Description: "List the labels of the user's Gmail, system ones (INBOX, SENT, UNREAD, STARRED, ...) and their own, " +
			"with ids, names, visibility and colours. Label ids are what modify_gmail_message_labels and filters take."},
		tools.Spec{Scopes: []string{ScopeLabels}, Tier: tools.Extended}, nil, k.listLabels)
	add(r, k.d, &mcp.Tool{Name: "manage_gmail_label", Annotations: writes("Create, rename or delete Gmail labels", true, false),
		Description: "Create, update (rename, recolour, change visibility) or delete Gmail labels, up to 50 per call. " +
			"Deleting a label removes it from every message (the messages stay). Each label's outcome is reported."},
		tools.Spec{Scopes: []string{ScopeLabels}, Tier: tools.Extended}, nil, k.manageLabel)
	add(r, k.d, &mcp.Tool{Name: "modify_gmail_message_labels", Annotations: writes("Label a Gmail message", false, true),
		Description: "Add or remove labels on one Gmail message: star it (STARRED), archive it (remove INBOX), mark it " +
			"read (remove UNREAD), or file it under a user label (by id or name). Returns the labels it then carries."},
		tools.Spec{Scopes: []string{ScopeModify}, Tier: tools.Extended}, nil, k.modifyLabels)
}

func labelOf(l *gmailapi.Label) Label {
	out := Label{ID: l.Id, Name: l.Name, Type: l.Type, MessageListVisibility: l.MessageListVisibility,
		LabelListVisibility: l.LabelListVisibility}
	if l.Color != nil {
		out.TextColor, out.BackgroundColor = l.Color.TextColor, l.Color.BackgroundColor
	}
	return out
}

func (k *kit) listLabels(ctx context.Context, c tools.Call, _ ListLabelsInput) (ListLabelsOutput, error) {
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return ListLabelsOutput{}, err
	}
	ls, err := svc.Users.Labels.List("me").Context(ctx).Do()
	if err != nil {
		return ListLabelsOutput{}, err
	}
	var out ListLabelsOutput
	for _, l := range ls.Labels {
		out.Labels = append(out.Labels, labelOf(l))
		if l.Type == "system" {
			out.SystemCount++
		} else {
			out.UserCount++
		}
	}
	slices.SortStableFunc(out.Labels, func(a, b Label) int {
		if a.Type != b.Type {
			return strings.Compare(a.Type, b.Type) // system before user
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	out.TotalCount = len(out.Labels)
	return out, nil
}

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// labelColor returns the colour of a create or update: nil when none is given; a missing
// half is taken from cur (update) or Gmail's black on white.
func labelColor(in ManageLabelInput, cur *gmailapi.LabelColor) (*gmailapi.LabelColor, error) {
	if in.TextColor == "" && in.BackgroundColor == "" {
		return nil, nil
	}
	c := &gmailapi.LabelColor{TextColor: "#000000", BackgroundColor: "#ffffff"}
	if cur != nil {
		c.TextColor, c.BackgroundColor = cmp.Or(cur.TextColor, c.TextColor), cmp.Or(cur.BackgroundColor, c.BackgroundColor)
	}
	for _, v := range []struct {
		val string
		dst *string
	}{{in.TextColor, &c.TextColor}, {in.BackgroundColor, &c.BackgroundColor}} {
		if v.val == "" {
			continue
		}
		if !hexColor.MatchString(v.val) {
			return nil, tools.Errorf(fmt.Sprintf("%q is not a colour: give #rrggbb from Gmail's label palette, e.g. #16a765.", v.val))
		}
		*v.dst = strings.ToLower(v.val)
	}
	return c, nil
}

func (k *kit) manageLabel(ctx context.Context, c tools.Call, in ManageLabelInput) (ManageLabelOutput, error) {
	action := strings.ToLower(strings.TrimSpace(in.Action))
	out := ManageLabelOutput{Action: action}
	var n int
	switch action {
	case "create":
		if n = len(in.Name); n == 0 {
			return out, tools.Errorf("create needs name: the names of the labels to create.")
		}
	case "update", "delete":
		if n = len(in.LabelID); n == 0 {
			return out, tools.Errorf(action + " needs label_id: the ids of the labels (see list_gmail_labels).")
		}
		if action == "update" && len(in.Name) > n {
			return out, tools.Errorf("update takes at most one name per label_id.")
		}
	default:
		return out, tools.Errorf("action must be 'create', 'update' or 'delete'.")
	}
	if n > maxLabelBatch {
		return out, tools.Errorf(fmt.Sprintf("At most %d labels per call; split the list.", maxLabelBatch))
	}
	color, err := labelColor(in, nil)
	if err != nil {
		return out, err
	}
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return out, err
	}
	var firstErr error
	for i := range n {
		var res LabelResult
		var err error
		switch action {
		case "create":
			res, err = k.createLabel(ctx, svc, in, in.Name[i], color)
		case "update":
			name := ""
			if i < len(in.Name) {
				name = in.Name[i]
			}
			res, err = k.updateLabel(ctx, svc, in, in.LabelID[i], name)
		case "delete":
			res, err = k.deleteLabel(ctx, svc, in.LabelID[i])
		}
		if err != nil {
			res.Success, res.Error = false, workspace.Describe(err)
			if firstErr == nil {
				firstErr = err
			}
		}
		out.Results = append(out.Results, res)
	}
	if n == 1 && firstErr != nil { // one label: its failure is the call's
		return ManageLabelOutput{}, firstErr
	}
	return out, nil
}

func (k *kit) createLabel(ctx context.Context, svc *gmailapi.Service, in ManageLabelInput, name string, color *gmailapi.LabelColor) (LabelResult, error) {
	res := LabelResult{Name: name}
	if strings.TrimSpace(name) == "" {
		return res, tools.Errorf("a label name is empty")
	}
	l := &gmailapi.Label{Name: strings.TrimSpace(name), Color: color,
		LabelListVisibility: cmp.Or(in.LabelListVisibility, "labelShow"), MessageListVisibility: cmp.Or(in.MessageListVisibility, "show")}
	got, err := svc.Users.Labels.Create("me", l).Context(ctx).Do()
	if err != nil {
		return res, err
	}
	return LabelResult{LabelID: got.Id, Name: got.Name, Success: true}, nil
}

func (k *kit) updateLabel(ctx context.Context, svc *gmailapi.Service, in ManageLabelInput, id, name string) (LabelResult, error) {
	res := LabelResult{LabelID: id, Name: name}
	patch := &gmailapi.Label{Name: strings.TrimSpace(name), LabelListVisibility: in.LabelListVisibility,
		MessageListVisibility: in.MessageListVisibility}
	if in.TextColor != "" || in.BackgroundColor != "" {
		cur, err := svc.Users.Labels.Get("me", id).Context(ctx).Do()
		if err != nil {
			return res, err
		}
		if patch.Color, err = labelColor(in, cur.Color); err != nil {
			return res, err
		}
	}
	if patch.Name == "" && patch.Color == nil && patch.LabelListVisibility == "" && patch.MessageListVisibility == "" {
		return res, tools.Errorf("update needs something to change: name, a visibility or a colour.")
	}
	got, err := svc.Users.Labels.Patch("me", id, patch).Context(workspace.MarkIdempotent(ctx)).Do()
	if err != nil {
		return res, err
	}
	return LabelResult{LabelID: got.Id, Name: got.Name, Success: true}, nil
}

func (k *kit) deleteLabel(ctx context.Context, svc *gmailapi.Service, id string) (LabelResult, error) {
	res := LabelResult{LabelID: id}
	cur, err := svc.Users.Labels.Get("me", id).Fields("id", "name").Context(ctx).Do()
	if err != nil {
		return res, err
	}
	res.Name = cur.Name
	if err := svc.Users.Labels.Delete("me", id).Context(ctx).Do(); err != nil {
		return res, err
	}
	res.Success = true
	return res, nil
}

var labelIDPattern = regexp.MustCompile(`^(Label_\d+|[A-Z_]+)$`)

// labelIDs maps entries that are not label ids to the ids of user labels of that name; it
// lists the labels only when it has to.
func labelIDs(ctx context.Context, svc *gmailapi.Service, entries []string) ([]string, error) {
	var out []string
	var byName map[string]string
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if labelIDPattern.MatchString(e) {
			out = append(out, e)
			continue
		}
		if byName == nil {
			ls, err := svc.Users.Labels.List("me").Fields("labels/id", "labels/name").Context(ctx).Do()
			if err != nil {
				return nil, err
			}
			byName = map[string]string{}
			for _, l := range ls.Labels {
				byName[strings.ToLower(l.Name)] = l.Id
			}
		}
		id, ok := byName[strings.ToLower(e)]
		if !ok {
			return nil, tools.Errorf(fmt.Sprintf("There is no label %q: use an id or name from list_gmail_labels, or create it with manage_gmail_label.", e))
		}
		out = append(out, id)
	}
	return out, nil
}

func (k *kit) modifyLabels(ctx context.Context, c tools.Call, in ModifyLabelsInput) (ModifyLabelsOutput, error) {
	if strings.TrimSpace(in.MessageID) == "" {
		return ModifyLabelsOutput{}, tools.Errorf("message_id is required.")
	}
	if len(in.AddLabelIDs)+len(in.RemoveLabelIDs) == 0 {
		return ModifyLabelsOutput{}, tools.Errorf("Pass at least one label in add_label_ids or remove_label_ids.")
	}
	if len(in.AddLabelIDs) > maxLabelBatch || len(in.RemoveLabelIDs) > maxLabelBatch {
		return ModifyLabelsOutput{}, tools.Errorf(fmt.Sprintf("At most %d labels to add and %d to remove per call.", maxLabelBatch, maxLabelBatch))
	}
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return ModifyLabelsOutput{}, err
	}
	addIDs, err := labelIDs(ctx, svc, in.AddLabelIDs)
	if err != nil {
		return ModifyLabelsOutput{}, err
	}
	removeIDs, err := labelIDs(ctx, svc, in.RemoveLabelIDs)
	if err != nil {
		return ModifyLabelsOutput{}, err
	}
	m, err := svc.Users.Messages.Modify("me", in.MessageID, &gmailapi.ModifyMessageRequest{AddLabelIds: addIDs,
		RemoveLabelIds: removeIDs}).Context(workspace.MarkIdempotent(ctx)).Do() // adding or removing twice is the same
	if err != nil {
		return ModifyLabelsOutput{}, err
	}
	return ModifyLabelsOutput{MessageID: m.Id, LabelsAdded: addIDs, LabelsRemoved: removeIDs, LabelIDs: m.LabelIds}, nil
}
