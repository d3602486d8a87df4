package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// The settings pages list an org's people, clients and projects as stored,
// with every field the forms change; these read them.

// PersonVersion is one effective-dated version of a person as stored.
type PersonVersion struct {
	ID, Source                 string
	ValidFrom                  time.Time
	Name, Email, Role, Team    string
	WeeklyCapacityHours        decimal.Decimal
	CostRate, BillRate, Target *decimal.Decimal
	StartDate, EndDate         *time.Time
}

// ListPeople returns every version of an org's people, by name, id and
// date (sql/queries/settings_people.sql).
func ListPeople(ctx context.Context, q Querier, org string) ([]PersonVersion, error) {
	rows, err := q.Query(ctx, store.QueryText("settings_people"), store.Params{"org": org})
	if err != nil {
		return nil, fmt.Errorf("people of org %s: %w", org, err)
	}
	out := make([]PersonVersion, rows.Len())
	for i := range out {
		p := &out[i]
		if err := rows.Scan(i, &p.ID, &p.Source, &p.ValidFrom, &p.Name, &p.Email, &p.Role, &p.Team, &p.WeeklyCapacityHours,
			&p.CostRate, &p.BillRate, &p.Target, &p.StartDate, &p.EndDate); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ClientRecord is a client as stored.
type ClientRecord struct {
	ID, Source, Name, Currency string
}

// ProjectRecord is a project as stored.
type ProjectRecord struct {
	ID, Source, Name, ClientID, Kind                                string
	BillableDefault                                                 bool
	BillRate, BudgetHours, BudgetAmount, RetainerFee, RetainerHours *decimal.Decimal
	StartDate, EndDate                                              *time.Time
}

// ListClients returns an org's clients and projects, each by name
// (sql/queries/settings_clients.sql, settings_projects.sql).
func ListClients(ctx context.Context, q Querier, org string) ([]ClientRecord, []ProjectRecord, error) {
	rows, err := q.Query(ctx, store.QueryText("settings_clients"), store.Params{"org": org})
	if err != nil {
		return nil, nil, fmt.Errorf("clients of org %s: %w", org, err)
	}
	clients := make([]ClientRecord, rows.Len())
	for i := range clients {
		c := &clients[i]
		if err := rows.Scan(i, &c.ID, &c.Source, &c.Name, &c.Currency); err != nil {
			return nil, nil, err
		}
	}
	if rows, err = q.Query(ctx, store.QueryText("settings_projects"), store.Params{"org": org}); err != nil {
		return nil, nil, fmt.Errorf("projects of org %s: %w", org, err)
	}
	projects := make([]ProjectRecord, rows.Len())
	for i := range projects {
		p := &projects[i]
		var billable uint64
		if err := rows.Scan(i, &p.ID, &p.Source, &p.Name, &p.ClientID, &p.Kind, &billable, &p.BillRate, &p.BudgetHours, &p.BudgetAmount,
			&p.RetainerFee, &p.RetainerHours, &p.StartDate, &p.EndDate); err != nil {
			return nil, nil, err
		}
		p.BillableDefault = billable != 0
	}
	return clients, projects, nil
}

// RoleVersion is one effective-dated version of a role's rates and target.
type RoleVersion struct {
	Role                       string
	ValidFrom                  time.Time
	BillRate, CostRate, Target *decimal.Decimal
}

// ListRoles returns every version of an org's role rates, by role and date
// (sql/queries/settings_roles.sql).
func ListRoles(ctx context.Context, q Querier, org string) ([]RoleVersion, error) {
	rows, err := q.Query(ctx, store.QueryText("settings_roles"), store.Params{"org": org})
	if err != nil {
		return nil, fmt.Errorf("roles of org %s: %w", org, err)
	}
	out := make([]RoleVersion, rows.Len())
	for i := range out {
		r := &out[i]
		if err := rows.Scan(i, &r.Role, &r.ValidFrom, &r.BillRate, &r.CostRate, &r.Target); err != nil {
			return nil, err
		}
	}
	return out, nil
}
