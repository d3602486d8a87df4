package dashboards

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/org"
)

// auditKinds are the kinds the Change log filters by, with their names.
var auditKinds = []struct{ Kind, Name string }{
	{org.AuditSettings, "Organization"}, {org.AuditPerson, "People"}, {org.AuditClient, "Clients"},
	{org.AuditProject, "Projects"}, {org.AuditThreshold, "Alert thresholds"}, {org.AuditSource, "Sources"},
	{org.AuditHook, "Hooks"}, {org.AuditUser, "Users"}, {org.AuditToken, "API tokens"},
}

// moneyFields are the fields of a change that only PermMoney may read.
var moneyFields = []string{"overhead_per_hour", "cost_rate", "bill_rate", "rate", "budget_amount", "retainer_fee_monthly", "write_off_value"}

// fieldChange is one field of a change: its value before and after ("":
// none).
type fieldChange struct{ Field, Before, After string }

// auditRow is one change as the Change log shows it.
type auditRow struct {
	At, Who, Kind, Name, Subject string
	Fields                       []fieldChange
	Action                       string // created, changed or removed
}

type auditBody struct {
	Rows  []auditRow
	Kinds any
	Kind  string
	Zone  string
}

// diff lists the fields whose value differs between before and after
// (JSON objects; "" for none), by name; of a created or removed thing,
// every field. Fields in hide are left out. A value that is not an object
// is one field, "value".
func diff(before, after string, hide []string) []fieldChange {
	read := func(s string) map[string]string {
		m := map[string]string{}
		if s == "" {
			return m
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			m["value"] = s
			return m
		}
		for k, v := range raw {
			switch v := v.(type) {
			case string:
				m[k] = v
			case nil:
				m[k] = ""
			default:
				b, _ := json.Marshal(v)
				m[k] = string(b)
			}
		}
		return m
	}
	b, a := read(before), read(after)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []fieldChange
	for k := range keys {
		if slices.Contains(hide, k) || b[k] == a[k] {
			continue
		}
		out = append(out, fieldChange{k, b[k], a[k]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// settingsAudit is the Change log: the org's audit trail, newest first,
// each change with who made it, when (in the org's time zone) and the
// fields it changed; ?kind= narrows it to one kind.
func (d *server) settingsAudit(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/audit")
	if err != nil {
		return err
	}
	kind := c.QueryParam("kind")
	if kind != "" && !slices.ContainsFunc(auditKinds, func(k struct{ Kind, Name string }) bool { return k.Kind == kind }) {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("kind %q: not a kind of change", kind))
	}
	changes, err := org.AuditLog(c.Request().Context(), d.cfg.Store, data.Principal.Org, kind, "", 500)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(data.View.Settings.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	var hide []string
	if !data.Principal.Can(auth.PermMoney) {
		hide = moneyFields
	}
	body := auditBody{Kinds: auditKinds, Kind: kind, Zone: loc.String()}
	for _, ch := range changes {
		r := auditRow{At: ch.At.In(loc).Format("2006-01-02 15:04:05"), Who: ch.Who, Kind: ch.Kind, Name: ch.Name, Subject: ch.Subject,
			Fields: diff(ch.Before, ch.After, hide), Action: "changed"}
		for _, k := range auditKinds {
			if k.Kind == ch.Kind {
				r.Kind = k.Name
			}
		}
		switch {
		case ch.Before == "":
			r.Action = "created"
		case ch.After == "":
			r.Action = "removed"
		}
		body.Rows = append(body.Rows, r)
	}
	data.Body = body
	return d.renderSettings(c, http.StatusOK, "settings_audit", data)
}
