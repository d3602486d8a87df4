package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opsmetrics/opsmetrics/dashboards"
	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
)

// The Sources and Hooks settings sections read and write ingest's sources
// and hooks through these adapters, so that dashboards does not import
// ingest (app/layers_test.go): each turns ingest's types into the plain
// ones dashboards declares, and ingest's errors into those it recognizes.

// sourceAdmin adapts the collector's sources to the Sources section.
type sourceAdmin struct{ s *collect.Sources }

var _ dashboards.SourceAdmin = sourceAdmin{}

// Kinds lists collect's tools, sorted.
func (a sourceAdmin) Kinds() []string { return collect.Kinds() }

// MinEvery is collect's shortest interval between syncs.
func (a sourceAdmin) MinEvery() time.Duration { return collect.MinEvery }

// List returns the sources of org, oldest first. Errors are the store's.
func (a sourceAdmin) List(ctx context.Context, org string) ([]dashboards.SourceView, error) {
	list, err := a.s.List(ctx, org)
	if err != nil {
		return nil, err
	}
	out := make([]dashboards.SourceView, len(list))
	for i, st := range list {
		out[i] = sourceView(st.Source, st.State)
	}
	return out, nil
}

// Get returns source id of org. Errors: dashboards.ErrNotFound (wrapped,
// with collect's words), the store's.
func (a sourceAdmin) Get(ctx context.Context, org, id string) (dashboards.SourceView, error) {
	st, err := a.s.Get(ctx, org, id)
	if err != nil {
		return dashboards.SourceView{}, notFound(err, collect.ErrNotFound)
	}
	return sourceView(st.Source, st.State), nil
}

// Add adds s with its token sealed (collect.Sources.Add). A source its
// checks refuse is a *dashboards.FieldError on account_id whose reason is
// collect's words (the tool's own check: an account id it needs, ...).
func (a sourceAdmin) Add(ctx context.Context, s dashboards.SourceInput) (dashboards.SourceView, error) {
	added, err := a.s.Add(ctx, collect.Source{Org: s.Org, Kind: s.Kind, AccountID: s.AccountID, Workspace: s.Workspace,
		BaseURL: s.BaseURL, Since: s.Since, Every: collect.Every(s.Every)}, s.Token)
	var bad *collect.BadSourceError
	if errors.As(err, &bad) || errors.Is(err, collect.ErrUnknownKind) {
		return dashboards.SourceView{}, &dashboards.FieldError{Field: "account_id", Value: s.AccountID, Reason: err.Error()}
	}
	if err != nil {
		return dashboards.SourceView{}, err
	}
	return sourceView(added, collect.State{}), nil
}

// Remove removes source id of org; what it imported stays. Errors:
// dashboards.ErrNotFound (wrapped), the store's.
func (a sourceAdmin) Remove(ctx context.Context, org, id string) error {
	return notFound(a.s.Remove(ctx, org, id), collect.ErrNotFound)
}

// Audit records an add (before nil) or removal (after nil) by who, the
// token as "set" (collect.Sources.Audit).
func (a sourceAdmin) Audit(ctx context.Context, who string, before, after *dashboards.SourceView) error {
	return a.s.Audit(ctx, who, sourceOf(before), sourceOf(after))
}

// sourceView is s with its state as the section shows it.
func sourceView(s collect.Source, st collect.State) dashboards.SourceView {
	return dashboards.SourceView{Org: s.Org, ID: s.ID, Kind: s.Kind, AccountID: s.AccountID, Workspace: s.Workspace,
		Account: s.Account(), Name: s.Name(), BaseURL: s.BaseURL, Since: s.Since, Every: time.Duration(s.Every), CreatedAt: s.CreatedAt,
		LastAttempt: st.LastAttempt, LastSuccess: st.LastSuccess, FailingSince: st.FailingSince, LastError: st.LastError,
		NeedsToken: st.NeedsToken}
}

// sourceOf is the source v shows, with what the audit trail records of
// it; nil stays nil.
func sourceOf(v *dashboards.SourceView) *collect.Source {
	if v == nil {
		return nil
	}
	return &collect.Source{Org: v.Org, ID: v.ID, Kind: v.Kind, AccountID: v.AccountID, Workspace: v.Workspace,
		BaseURL: v.BaseURL, Since: v.Since, Every: collect.Every(v.Every), CreatedAt: v.CreatedAt}
}

// sourceSyncer adapts the collector's syncs to the Sources section's Sync
// now.
type sourceSyncer struct{ c *collect.Collector }

var _ dashboards.SourceSyncer = sourceSyncer{}

// Sync syncs source id of org once. Errors: dashboards.ErrSyncBusy
// (wrapped) when a sync of it is under way; a *dashboards.SyncError when
// the tool refused the token or answered what the sync cannot use;
// dashboards.ErrNotFound (wrapped); others.
func (a sourceSyncer) Sync(ctx context.Context, org, id string, full bool) (dashboards.SyncResult, error) {
	res, err := a.c.Sync(ctx, org, id, full)
	switch {
	case errors.Is(err, collect.ErrBusy):
		return dashboards.SyncResult{}, fmt.Errorf("%w: %w", dashboards.ErrSyncBusy, err)
	case collect.IsSyncError(err):
		return dashboards.SyncResult{}, &dashboards.SyncError{Err: err}
	case err != nil:
		return dashboards.SyncResult{}, notFound(err, collect.ErrNotFound)
	}
	return dashboards.SyncResult{Read: res.Read, Added: res.Added, Updated: res.Updated, Deleted: res.Deleted, Rejected: res.Rejected}, nil
}

// hookAdmin adapts the webhooks' hooks to the Hooks section.
type hookAdmin struct{ h *hook.Hooks }

var _ dashboards.HookAdmin = hookAdmin{}

// Tools lists hook's tools.
func (a hookAdmin) Tools() []string { return hook.Tools }

// List returns the hooks of org, oldest first, each with its reconciler's
// state. Errors are the store's.
func (a hookAdmin) List(ctx context.Context, org string) ([]dashboards.HookView, error) {
	list, err := a.h.Listed(ctx, org)
	if err != nil {
		return nil, err
	}
	out := make([]dashboards.HookView, len(list))
	for i, l := range list {
		out[i] = hookView(l.Hook)
		if st := l.Reconcile; st != nil {
			out[i].Reconcile = &dashboards.ReconcileView{LastSuccess: st.LastSuccess, FailingSince: st.FailingSince, NeedsToken: st.NeedsToken}
		}
	}
	return out, nil
}

// Get returns hook id of org, without its reconciler's state. Errors:
// dashboards.ErrNotFound (wrapped), the store's.
func (a hookAdmin) Get(ctx context.Context, org, id string) (dashboards.HookView, error) {
	h, err := a.h.Get(ctx, org, id)
	if err != nil {
		return dashboards.HookView{}, notFound(err, hook.ErrNotFound)
	}
	return hookView(h), nil
}

// Add adds h (hook.Hooks.Add) and returns it with its secret in the
// clear. A hook its checks refuse is a *dashboards.FieldError on tool
// whose reason is hook's words.
func (a hookAdmin) Add(ctx context.Context, h dashboards.HookInput) (dashboards.HookView, string, error) {
	added, secret, err := a.h.Add(ctx, hook.NewHook{Org: h.Org, Tool: h.Tool, Secret: h.Secret, Token: h.Token,
		BaseURL: h.BaseURL, Client: h.Client, Project: h.Project, PublicURL: h.PublicURL})
	var bad *hook.BadHookError
	if errors.As(err, &bad) {
		return dashboards.HookView{}, "", &dashboards.FieldError{Field: "tool", Value: h.Tool, Reason: err.Error()}
	}
	if err != nil {
		return dashboards.HookView{}, "", err
	}
	return hookView(added), secret, nil
}

// Remove removes hook id of org: its URL answers 404 from then on.
// Errors: dashboards.ErrNotFound (wrapped), the store's.
func (a hookAdmin) Remove(ctx context.Context, org, id string) error {
	return notFound(a.h.Remove(ctx, org, id), hook.ErrNotFound)
}

// Audit records an add (before nil) or removal (after nil) by who, the
// secret and token as "set" (hook.Hooks.Audit).
func (a hookAdmin) Audit(ctx context.Context, who string, before, after *dashboards.HookView) error {
	return a.h.Audit(ctx, who, hookOf(before), hookOf(after))
}

// hookView is h as the section shows it.
func hookView(h hook.Hook) dashboards.HookView {
	return dashboards.HookView{Org: h.Org, ID: h.ID, Tool: h.Tool, URL: h.CallbackURL, BaseURL: h.BaseURL,
		Client: h.Client, Project: h.Project, HasSecret: h.HasSecret, HasToken: h.HasToken}
}

// hookOf is the hook v shows, with what the audit trail records of it;
// nil stays nil.
func hookOf(v *dashboards.HookView) *hook.Hook {
	if v == nil {
		return nil
	}
	return &hook.Hook{Org: v.Org, ID: v.ID, Tool: v.Tool, CallbackURL: v.URL, BaseURL: v.BaseURL,
		Client: v.Client, Project: v.Project, HasSecret: v.HasSecret, HasToken: v.HasToken}
}

// hookDeliveries adapts the webhook worker's deliveries to the Hooks
// section.
type hookDeliveries struct{ w *hook.Worker }

var _ dashboards.HookDeliveries = hookDeliveries{}

// Deliveries returns the deliveries of hook id of org received at or
// after since, newest first. Errors: dashboards.ErrNotFound (wrapped),
// the store's.
func (a hookDeliveries) Deliveries(ctx context.Context, org, id string, since time.Time) ([]dashboards.DeliveryView, error) {
	ds, err := a.w.Deliveries(ctx, org, id, since)
	if err != nil {
		return nil, notFound(err, hook.ErrNotFound)
	}
	out := make([]dashboards.DeliveryView, len(ds))
	for i, d := range ds {
		out[i] = dashboards.DeliveryView{Received: d.Received, ID: d.ID, Event: d.Event, Status: d.Status, Reason: d.Reason, Records: d.Records}
	}
	return out, nil
}

// hookMappings adapts the org's status mappings to the Hooks section.
type hookMappings struct{ m *hook.Mappings }

var _ dashboards.HookMappings = hookMappings{}

// List returns how tool's statuses map for org. Errors: hook's
// *MappingError for an unknown org or tool, the store's.
func (a hookMappings) List(ctx context.Context, org, tool string) ([]dashboards.MappingRow, error) {
	m, err := a.m.List(ctx, org, tool)
	if err != nil {
		return nil, err
	}
	out := make([]dashboards.MappingRow, len(m.Statuses))
	for i, s := range m.Statuses {
		out[i] = dashboards.MappingRow{Status: s.Status, Phase: s.Phase, Outcome: s.Outcome, Set: s.Set}
	}
	return out, nil
}

// notFound wraps dashboards.ErrNotFound around err when err is ingest's
// not-found sentinel, keeping ingest's words; other errors (and nil) are
// returned as they are.
func notFound(err, sentinel error) error {
	if errors.Is(err, sentinel) {
		return fmt.Errorf("%w: %w", dashboards.ErrNotFound, err)
	}
	return err
}
