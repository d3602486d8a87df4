package collect

import (
	"context"
	"time"

	"github.com/opsmetrics/opsmetrics/org"
)

// auditSource is a source as the audit trail records it: its fields, and
// its token only as "set".
type auditSource struct {
	Kind      string `json:"kind"`
	AccountID string `json:"account_id,omitempty"`
	Workspace string `json:"workspace,omitempty"`
	BaseURL   string `json:"base_url,omitempty"`
	Since     string `json:"since,omitempty"`
	Every     string `json:"every"`
	Token     string `json:"token"`
}

// Name is how people tell a source apart: its kind and account, such as
// "harvest 123456".
func (s Source) Name() string {
	if a := s.Account(); a != "" {
		return s.Kind + " " + a
	}
	return s.Kind
}

// Audit records in the org's audit trail that who added (before nil) or
// removed (after nil) a source; the token is written as "set", never
// itself. Errors are the store's.
func (ss *Sources) Audit(ctx context.Context, who string, before, after *Source) error {
	s := before
	if after != nil {
		s = after
	}
	show := func(x *Source) any {
		if x == nil {
			return nil
		}
		a := auditSource{Kind: x.Kind, AccountID: x.AccountID, Workspace: x.Workspace, BaseURL: x.BaseURL, Every: x.Every.String(), Token: "set"}
		if !x.Since.IsZero() {
			a.Since = x.Since.Format(time.DateOnly)
		}
		return a
	}
	return org.Record(ctx, ss.cfg.Store, org.Change{Org: s.Org, Who: who, Kind: org.AuditSource, Subject: s.ID, Name: s.Name(),
		Before: org.JSON(show(before)), After: org.JSON(show(after))})
}
