package metrics

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Alert thresholds: ops leads set them through the API or the CLI, they are
// stored in ops.alert_thresholds, and the collector exports each as an
// opsmetrics_alert_threshold series. One generic Prometheus rule per KPI
// compares each KPI gauge with its thresholds (deploy/prometheus/rules.yml),
// so a new threshold needs no rule change and no reload.

// ThresholdKPIs are the gauges a threshold can watch (their names without
// the opsmetrics_kpi_ prefix), with the scopes each can be set on.
var ThresholdKPIs = map[string][]string{
	"write_off_ratio":            {"org", "client"},
	"billable_utilization_ratio": {"org", "team"},
	"on_time_ratio":              {"org", "client"},
	"approval_time_p90_seconds":  {"org", "client"},
	"margin_ratio":               {"org", "client"},
	"overdue_deliverables":       {"org", "client"},
	"stuck_reviews":              {"org", "client"},
}

// ForBuckets are the for-durations a rule exists for; a threshold's is
// rounded up to the next one. Prometheus cannot take a for-duration from a
// series, so each bucket has its own rule.
var ForBuckets = []time.Duration{0, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}

// ForLabel is the bucket label of a for-duration: "0s", "5m", "15m", "1h",
// "6h" or "1d".
func ForLabel(d time.Duration) string {
	for _, b := range ForBuckets {
		if d <= b {
			switch {
			case b == 0:
				return "0s"
			case b == 24*time.Hour:
				return "1d"
			case b%time.Hour == 0:
				return fmt.Sprintf("%dh", b/time.Hour)
			default:
				return fmt.Sprintf("%dm", b/time.Minute)
			}
		}
	}
	return "1d"
}

// Threshold is one alert threshold of an org.
type Threshold struct {
	ID         string          `json:"id"`
	KPI        string          `json:"kpi"`
	Scope      string          `json:"scope"`                 // org, client or team
	ScopeValue string          `json:"scope_value,omitempty"` // the client id or team name; empty for org
	Comparator string          `json:"comparator"`            // gt: alert above the value; lt: below
	Value      decimal.Decimal `json:"value"`
	For        Duration        `json:"for"`      // how long the KPI must be past the value
	Severity   string          `json:"severity"` // info, warning or critical
	CreatedAt  time.Time       `json:"created_at"`
}

// Duration is a time.Duration written as "15m" in JSON.
type Duration struct{ time.Duration }

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "15m", "1h30m" or "0s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf(`for: want a duration such as "15m" or "1h"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("for %q: want a duration such as \"15m\" or \"1h\"", s)
	}
	d.Duration = v
	return nil
}

var thresholdIDRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Validate checks a threshold; errors wrap ErrBadRequest and say what to send.
func (t *Threshold) Validate() error {
	if t.ID != "" && !thresholdIDRE.MatchString(t.ID) {
		return badf("id %q: use up to 64 letters, digits, '.', '_' or '-'", t.ID)
	}
	scopes, ok := ThresholdKPIs[t.KPI]
	if !ok {
		names := make([]string, 0, len(ThresholdKPIs))
		for k := range ThresholdKPIs {
			names = append(names, k)
		}
		slices.Sort(names)
		return badf("kpi %q: thresholds can watch %v", t.KPI, names)
	}
	if t.Scope == "" {
		t.Scope = "org"
	}
	if !slices.Contains(scopes, t.Scope) {
		return badf("scope %q: %s thresholds can be set on %v", t.Scope, t.KPI, scopes)
	}
	if (t.Scope == "org") != (t.ScopeValue == "") {
		return badf("scope_value: give the %s for a %s scope, and none for the org", t.Scope, t.Scope)
	}
	if len(t.ScopeValue) > 200 {
		return badf("scope_value: at most 200 characters")
	}
	if t.Comparator != "gt" && t.Comparator != "lt" {
		return badf(`comparator %q: "gt" alerts above the value, "lt" below; a band is two thresholds`, t.Comparator)
	}
	if t.Value.Abs().GreaterThan(decimal.New(1, 12)) {
		return badf("value %s: out of range", t.Value)
	}
	if t.For.Duration < 0 || t.For.Duration > 24*time.Hour {
		return badf("for %s: between 0s and 24h", t.For.Duration)
	}
	if t.Severity == "" {
		t.Severity = "warning"
	}
	if !slices.Contains([]string{"info", "warning", "critical"}, t.Severity) {
		return badf("severity %q: info, warning or critical", t.Severity)
	}
	return nil
}

// Inserter writes batches; the thresholds' writes need it.
type Inserter interface {
	Insert(ctx context.Context, b *store.Batch) error
}

// ListThresholds returns an org's thresholds, by id.
func ListThresholds(ctx context.Context, q Querier, org string) ([]Threshold, error) {
	all, err := loadThresholds(ctx, q, org)
	if err != nil {
		return nil, fmt.Errorf("list thresholds: %w", err)
	}
	out := make([]Threshold, len(all))
	for i, ot := range all {
		out[i] = ot.t
	}
	return out, nil
}

// orgThreshold is a threshold with its org.
type orgThreshold struct {
	org string
	t   Threshold
}

// loadThresholds reads one org's thresholds, or every org's when org is "".
func loadThresholds(ctx context.Context, q Querier, org string) ([]orgThreshold, error) {
	rows, err := q.Query(ctx, store.QueryText("alert_thresholds"), store.Params{"org": org})
	if err != nil {
		return nil, err
	}
	out := make([]orgThreshold, rows.Len())
	for i := range out {
		var forSeconds uint64
		t := &out[i].t
		if err := rows.Scan(i, &out[i].org, &t.ID, &t.KPI, &t.Scope, &t.ScopeValue, &t.Comparator, &t.Value, &forSeconds, &t.Severity, &t.CreatedAt); err != nil {
			return nil, err
		}
		t.For.Duration = time.Duration(forSeconds) * time.Second
	}
	return out, nil
}

// PutThreshold validates and stores a threshold of org, replacing the one
// with its id; an empty id gets a new one. It returns what was stored.
func PutThreshold(ctx context.Context, s Inserter, org string, t Threshold, now time.Time) (Threshold, error) {
	if err := t.Validate(); err != nil {
		return t, err
	}
	if t.ID == "" {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return t, err
		}
		t.ID = "th_" + hex.EncodeToString(b[:])
	}
	t.CreatedAt = now.UTC().Truncate(time.Millisecond)
	return t, writeThreshold(ctx, s, org, t, false, now)
}

// DeleteThreshold removes a threshold of org (a tombstone: FINAL drops it).
func DeleteThreshold(ctx context.Context, s Inserter, org, id string, now time.Time) error {
	if !thresholdIDRE.MatchString(id) {
		return badf("id %q: not a threshold id", id)
	}
	return writeThreshold(ctx, s, org, Threshold{ID: id}, true, now)
}

func writeThreshold(ctx context.Context, s Inserter, org string, t Threshold, deleted bool, now time.Time) error {
	var del uint8
	if deleted {
		del = 1
	}
	return s.Insert(ctx, &store.Batch{
		Table: "ops.alert_thresholds",
		Columns: []string{"org_id", "threshold_id", "kpi", "scope_kind", "scope_value", "comparator", "value", "for_seconds",
			"severity", "created_at", "version", "deleted"},
		Values: []any{[]string{org}, []string{t.ID}, []string{t.KPI}, []string{t.Scope}, []string{t.ScopeValue},
			[]string{t.Comparator}, []decimal.Decimal{t.Value}, []uint32{uint32(t.For.Duration / time.Second)},
			[]string{t.Severity}, []time.Time{t.CreatedAt}, []uint64{uint64(now.UnixMicro())}, []uint8{del}},
	})
}

// thresholdStore is what the thresholds API needs.
type thresholdStore interface {
	Querier
	Inserter
}

// RegisterThresholdAPI adds GET /alerts/thresholds (read) to read, and PUT
// /alerts/thresholds, PUT and DELETE /alerts/thresholds/{id} (admin) to
// admin. The org always comes from the token.
func RegisterThresholdAPI(read, admin *echo.Group, s thresholdStore, orgOf OrgOf, now func() time.Time) {
	read.GET("/alerts/thresholds", func(c echo.Context) error {
		org, ok := orgOf(c)
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized, "no token")
		}
		list, err := ListThresholds(c.Request().Context(), s, org)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"thresholds": list})
	})
	put := func(c echo.Context) error {
		org, ok := orgOf(c)
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized, "no token")
		}
		var t Threshold
		dec := json.NewDecoder(c.Request().Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "body: "+err.Error())
		}
		if id := c.Param("id"); id != "" {
			if t.ID != "" && t.ID != id {
				return echo.NewHTTPError(http.StatusBadRequest, "the body's id differs from the path's")
			}
			t.ID = id
		}
		stored, err := PutThreshold(c.Request().Context(), s, org, t, now())
		if errors.Is(err, ErrBadRequest) {
			return badRequest(err)
		}
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, stored)
	}
	admin.PUT("/alerts/thresholds", put)
	admin.PUT("/alerts/thresholds/:id", put)
	admin.DELETE("/alerts/thresholds/:id", func(c echo.Context) error {
		org, ok := orgOf(c)
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized, "no token")
		}
		id := c.Param("id")
		list, err := ListThresholds(c.Request().Context(), s, org)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(list, func(t Threshold) bool { return t.ID == id }) {
			return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("org has no threshold %q", id))
		}
		if err := DeleteThreshold(c.Request().Context(), s, org, id, now()); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
}
