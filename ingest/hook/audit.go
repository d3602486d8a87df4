package hook

import (
	"context"

	"github.com/opsmetrics/opsmetrics/org"
)

// auditHook is a hook as the audit trail records it: its fields, and its
// secret and token only as "set".
type auditHook struct {
	Tool    string `json:"tool"`
	BaseURL string `json:"base_url,omitempty"`
	Client  string `json:"client,omitempty"`
	Project string `json:"project,omitempty"`
	Secret  string `json:"secret,omitempty"`
	Token   string `json:"token,omitempty"`
}

// Audit records in the org's audit trail that who added (before nil) or
// removed (after nil) a hook; its secret and token are written as "set",
// never themselves, and its URL not at all (its id is in the subject).
// Errors are the store's.
func (hs *Hooks) Audit(ctx context.Context, who string, before, after *Hook) error {
	h := before
	if after != nil {
		h = after
	}
	show := func(x *Hook) any {
		if x == nil {
			return nil
		}
		a := auditHook{Tool: x.Tool, BaseURL: x.BaseURL, Client: x.Client, Project: x.Project}
		if x.HasSecret {
			a.Secret = "set"
		}
		if x.HasToken {
			a.Token = "set"
		}
		return a
	}
	return org.Record(ctx, hs.cfg.Store, org.Change{Org: h.Org, Who: who, Kind: org.AuditHook, Subject: h.ID, Name: h.Tool + " hook",
		Before: org.JSON(show(before)), After: org.JSON(show(after))})
}
