package metrics

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Alert thresholds: ops leads set them through the API or the CLI, they are
// stored in ops.alert_thresholds, and the collector exports each as an
// opsmetrics_alert_threshold series. One generic Prometheus rule per KPI
// compares each KPI gauge with its thresholds (deploy/prometheus/rules.yml),
// so a new threshold needs no rule change and no reload.

// ThresholdKPI is a KPI a threshold can watch, named as in the catalog
// (kpi write_off_rate): the gauge that exports it, the scopes a threshold
// can be set on, and the unit of its value.
type ThresholdKPI struct {
	Gauge  string   // opsmetrics_kpi_<Gauge>, in base units: a ratio, seconds or a count
	Scopes []string // org, and client or team
	// Unit of a threshold's value as people give it: ratio (0.08 or 8%),
	// hours (36 or 36h; exported in seconds) or count.
	Unit     string
	Min, Max decimal.Decimal // the values that make sense
}

// ThresholdKPIs are the KPIs thresholds can watch, by catalog name.
// Thresholds stored before they took these names carry the gauge's name
// (write_off_ratio); they are read, and accepted, as their KPI's.
var ThresholdKPIs = map[string]ThresholdKPI{
	"write_off_rate":       {Gauge: "write_off_ratio", Scopes: []string{"org", "client"}, Unit: "ratio", Max: decimal.NewFromInt(1)},
	"billable_utilization": {Gauge: "billable_utilization_ratio", Scopes: []string{"org", "team"}, Unit: "ratio", Max: decimal.NewFromInt(2)}, // overtime is over 100%
	"on_time_rate":         {Gauge: "on_time_ratio", Scopes: []string{"org", "client"}, Unit: "ratio", Max: decimal.NewFromInt(1)},
	"approval_time_p90":    {Gauge: "approval_time_p90_seconds", Scopes: []string{"org", "client"}, Unit: "hours", Max: decimal.NewFromInt(24 * 366)},
	"margin_pct":           {Gauge: "margin_ratio", Scopes: []string{"org", "client"}, Unit: "ratio", Min: decimal.NewFromInt(-10), Max: decimal.NewFromInt(1)}, // a loss is below 0
	"overdue_deliverables": {Gauge: "overdue_deliverables", Scopes: []string{"org", "client"}, Unit: "count", Max: decimal.NewFromInt(1_000_000)},
	"stuck_reviews":        {Gauge: "stuck_reviews", Scopes: []string{"org", "client"}, Unit: "count", Max: decimal.NewFromInt(1_000_000)},
}

// thresholdKPI returns the KPI name a threshold's kpi means: the name
// itself, or the KPI whose gauge it names (the names stored before).
func thresholdKPI(name string) (string, bool) {
	if _, ok := ThresholdKPIs[name]; ok {
		return name, true
	}
	for k, t := range ThresholdKPIs {
		if t.Gauge == name {
			return k, true
		}
	}
	return name, false
}

// perBase is how many of a KPI's unit make one of its gauge's: values are
// stored and exported in the gauge's base unit (seconds for hours), so the
// rules compare like with like and rows stored before read the same.
func (k ThresholdKPI) perBase() decimal.Decimal {
	if k.Unit == "hours" {
		return decimal.NewFromInt(3600)
	}
	return decimal.NewFromInt(1)
}

// ForBuckets are the for-durations a rule exists for. Prometheus cannot
// take a for-duration from a series, so each bucket has its own rule, and
// a threshold's for must be one of them.
var ForBuckets = []time.Duration{0, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}

// ForLabel is the bucket label of a for-duration, the bucket it is rounded
// up to: "0s", "5m", "15m", "1h", "6h" or "1d".
func ForLabel(d time.Duration) string {
	return formatFor(forBucket(d))
}

// forBucket is the bucket d is rounded up to.
func forBucket(d time.Duration) time.Duration {
	for _, b := range ForBuckets {
		if d <= b {
			return b
		}
	}
	return ForBuckets[len(ForBuckets)-1]
}

// formatFor writes a duration as Prometheus does: 0s, 5m, 1h30m, 1d.
func formatFor(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Hour && d%time.Minute == 0:
		return fmt.Sprintf("%dh%dm", d/time.Hour, d%time.Hour/time.Minute)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// ParseFor reads a threshold's for-duration as the CLI, the API and the
// exported series write it: "15m", "1h", "1d" (a Go duration, or whole
// days). Errors wrap ErrBadRequest; a duration that is not a bucket is
// refused with the bucket it would wait, as an alert cannot wait 2h.
func ParseFor(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, serr := fmt.Sscanf(days, "%d", &n); serr == nil && fmt.Sprint(n) == days {
			d, err = time.Duration(n)*24*time.Hour, nil
		}
	}
	if err != nil {
		return 0, badf("for %q: want a duration such as \"15m\", \"1h\" or \"1d\"", s)
	}
	var buckets []string
	for _, b := range ForBuckets {
		if d == b {
			return d, nil
		}
		buckets = append(buckets, formatFor(b))
	}
	if d < 0 || d > ForBuckets[len(ForBuckets)-1] {
		return 0, badf("for %s: want one of %s", s, strings.Join(buckets, ", "))
	}
	return 0, badf("for %s: an alert can wait %s (Prometheus has one rule per wait); %s would wait %s", s,
		strings.Join(buckets, ", "), s, ForLabel(d))
}

// ParseThresholdValue reads a threshold's value for kpi in the KPI's unit:
// a ratio as 0.08 or 8%, hours as 36 or 36h (or 90m, 2d), a count as 3.
// Errors wrap ErrBadRequest and say what to write.
func ParseThresholdValue(kpi, s string) (decimal.Decimal, error) {
	name, _ := thresholdKPI(kpi)
	k, ok := ThresholdKPIs[name]
	if !ok {
		return decimal.Zero, unknownThresholdKPI(kpi)
	}
	s = strings.TrimSpace(s)
	var v decimal.Decimal
	var err error
	switch {
	case k.Unit == "ratio" && strings.HasSuffix(s, "%"):
		v, err = decimal.NewFromString(strings.TrimSpace(strings.TrimSuffix(s, "%")))
		v = v.Shift(-2)
	case k.Unit == "hours" && s != "" && strings.ContainsAny(s[len(s)-1:], "hmsd"):
		s = strings.Join(strings.Fields(s), "") // "36 h", as a page shows it
		var d time.Duration
		if d, err = time.ParseDuration(s); err != nil {
			if days, ok := strings.CutSuffix(s, "d"); ok {
				var n decimal.Decimal
				n, err = decimal.NewFromString(days)
				d = time.Duration(n.Mul(decimal.NewFromInt(int64(24 * time.Hour))).IntPart())
			}
		}
		v = decimal.NewFromInt(int64(d / time.Second)).Div(decimal.NewFromInt(3600))
	default:
		v, err = decimal.NewFromString(s)
	}
	examples := map[string]string{"ratio": "0.08 or 8%", "hours": "36 or 36h", "count": "3"}[k.Unit]
	switch {
	case err != nil:
		return v, badf("value %q: %s is %s; write it as %s", s, name, unitText(k), examples)
	case k.Unit == "ratio" && (v.LessThan(k.Min) || v.GreaterThan(k.Max)) && !strings.HasSuffix(s, "%"):
		return v, badf("value %s: %s is a ratio from %s to %s; for %s%% write %s%% (or %s)", s, name, k.Min, k.Max, s, s, v.Shift(-2))
	case v.LessThan(k.Min) || v.GreaterThan(k.Max):
		return v, badf("value %s: %s is %s; want %s to %s", s, name, unitText(k), k.Min, k.Max)
	case k.Unit == "count" && !v.IsInteger():
		return v, badf("value %s: %s is a count; want a whole number", s, name)
	}
	return v, nil
}

func unitText(k ThresholdKPI) string {
	return map[string]string{"ratio": "a ratio", "hours": "in hours", "count": "a count"}[k.Unit]
}

func unknownThresholdKPI(kpi string) error {
	return badf("kpi %q: thresholds can watch %s", kpi, strings.Join(slices.Sorted(maps.Keys(ThresholdKPIs)), ", "))
}

// Threshold is one alert threshold of an org.
type Threshold struct {
	ID         string          `json:"id"`
	KPI        string          `json:"kpi"`                   // a KPI of ThresholdKPIs, by its catalog name
	Scope      string          `json:"scope"`                 // org, client or team
	ScopeValue string          `json:"scope_value,omitempty"` // the client id or team name; empty for org
	ScopeName  string          `json:"scope_name,omitempty"`  // the client's name (a team is its own); set by ListThresholds and PutThreshold, ignored on PUT
	Comparator string          `json:"comparator"`            // gt: alert above the value; lt: below
	Value      decimal.Decimal `json:"value"`                 // in the KPI's unit: a ratio, hours or a count
	For        Duration        `json:"for"`                   // how long the KPI must be past the value: a ForBuckets
	Severity   string          `json:"severity"`              // info, warning or critical
	CreatedAt  time.Time       `json:"created_at"`
}

// ScopeText is the scope as people read it with the id kept: "org",
// "client c-0003 (Nordlicht GmbH)", "team Brand".
func (t Threshold) ScopeText() string {
	s := strings.TrimSpace(t.Scope + " " + t.ScopeValue)
	if t.ScopeName != "" && t.ScopeName != t.ScopeValue {
		s += " (" + t.ScopeName + ")"
	}
	return s
}

// ValueText is the value as people write it: 8% for a ratio, 36h for
// hours, 3 for a count.
func (t Threshold) ValueText() string {
	switch ThresholdKPIs[t.KPI].Unit {
	case "ratio":
		return t.Value.Shift(2).String() + "%"
	case "hours":
		return t.Value.String() + "h"
	}
	return t.Value.String()
}

// MarshalJSON writes the value as a JSON number.
func (t Threshold) MarshalJSON() ([]byte, error) {
	type plain Threshold
	return json.Marshal(struct {
		plain
		Value json.Number `json:"value"`
	}{plain(t), num(t.Value)})
}

// UnmarshalJSON reads a threshold as PUT sends it: the value a number or a
// string in the KPI's unit ("8%", "36h"), for as "15m" or "1d". The
// errors wrap ErrBadRequest.
func (t *Threshold) UnmarshalJSON(b []byte) error {
	type plain Threshold
	var in struct {
		plain
		Value json.RawMessage `json:"value"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var ue *json.UnmarshalTypeError
		if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "json: unknown field") {
			return badf("%s", JSONProblem(err))
		}
		return err
	}
	*t = Threshold(in.plain)
	var text string
	if err := json.Unmarshal(in.Value, &text); err != nil {
		text = string(in.Value) // a JSON number, as written
	}
	if len(in.Value) == 0 {
		return badf("value: give the threshold, e.g. 0.08, \"8%%\" or \"36h\"")
	}
	if name, ok := thresholdKPI(t.KPI); ok {
		t.KPI = name
	} else {
		return unknownThresholdKPI(t.KPI)
	}
	v, err := ParseThresholdValue(t.KPI, text)
	t.Value = v
	return err
}

// Duration is a threshold's for-duration, written as "15m" or "1d" in JSON.
type Duration struct{ time.Duration }

// MarshalJSON writes the duration as the rules and the exported series
// do: "0s", "5m", "15m", "1h", "6h" or "1d".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(formatFor(d.Duration)) }

// UnmarshalJSON reads "15m", "1h" or "1d" (ParseFor).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return badf(`for: want a duration such as "15m", "1h" or "1d"`)
	}
	v, err := ParseFor(s)
	d.Duration = v
	return err
}

var thresholdIDRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Validate checks a threshold; errors wrap ErrBadRequest and say what to send.
func (t *Threshold) Validate() error {
	if t.ID != "" && !thresholdIDRE.MatchString(t.ID) {
		return badf("id %q: use up to 64 letters, digits, '.', '_' or '-'", t.ID)
	}
	name, ok := thresholdKPI(t.KPI)
	if !ok {
		return unknownThresholdKPI(t.KPI)
	}
	t.KPI = name
	k := ThresholdKPIs[name]
	if t.Scope == "" {
		t.Scope = "org"
	}
	if !slices.Contains(k.Scopes, t.Scope) {
		return badf("scope %q: %s thresholds can be set on %v", t.Scope, t.KPI, k.Scopes)
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
	if _, err := ParseThresholdValue(t.KPI, t.Value.String()); err != nil {
		return err
	}
	if _, err := ParseFor(formatFor(t.For.Duration)); err != nil {
		return err
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
	var n *Names
	for i, ot := range all {
		out[i] = ot.t
		if ot.t.Scope != "org" && n == nil {
			if n, err = LoadNames(ctx, q, org); err != nil {
				return nil, fmt.Errorf("list thresholds: %w", err)
			}
		}
		out[i].ScopeName = n.scopeName(ot.t)
	}
	return out, nil
}

// scopeName is the name of t's client or team, "" for the org or a client
// no record names.
func (n *Names) scopeName(t Threshold) string {
	if t.Scope == "org" {
		return ""
	}
	name, _ := n.Name(t.Scope, t.ScopeValue)
	return name
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
		// Rows stored before thresholds took the KPIs' names, and before
		// their for had to be a bucket, read as they are exported and act.
		t.KPI, _ = thresholdKPI(t.KPI)
		t.For.Duration = forBucket(time.Duration(forSeconds) * time.Second)
		if k, ok := ThresholdKPIs[t.KPI]; ok {
			t.Value = t.Value.DivRound(k.perBase(), 6)
		}
	}
	return out, nil
}

// PutThreshold validates and stores a threshold of org, replacing the one
// with its id; an empty id gets a new one. A client or team scope is
// resolved as filters are (Names.Resolve: an id, or a unique name) and must
// exist. It returns what was stored. Errors: ErrBadRequest (wrapped, a
// *FilterError for a scope the org lacks); the store's otherwise.
func PutThreshold(ctx context.Context, s ThresholdStore, org string, t Threshold, now time.Time) (Threshold, error) {
	if err := t.Validate(); err != nil {
		return t, err
	}
	if t.Scope != "org" {
		n, err := LoadNames(ctx, s, org)
		if err != nil {
			return t, err
		}
		if t.ScopeValue, err = n.Resolve(ctx, t.Scope, t.ScopeValue); err != nil {
			return t, err
		}
		t.ScopeName = n.scopeName(t)
	} else {
		t.ScopeName = ""
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
			[]string{t.Comparator}, []decimal.Decimal{t.Value.Mul(ThresholdKPIs[t.KPI].perBase())}, []uint32{uint32(t.For.Duration / time.Second)},
			[]string{t.Severity}, []time.Time{t.CreatedAt}, []uint64{uint64(now.UnixMicro())}, []uint8{del}},
	})
}

// Fires reports whether a KPI at value (in the threshold's unit: a ratio,
// hours or a count) is past the threshold: above it for "gt", below it
// for "lt", the comparison the Prometheus rules make (comparatorOp).
func (t Threshold) Fires(value decimal.Decimal) bool {
	switch t.Comparator {
	case "gt":
		return value.GreaterThan(t.Value)
	case "lt":
		return value.LessThan(t.Value)
	}
	return false
}

// AlertWindow is the window the alerts compare at now: the 30 days to
// today, [today-29d, tomorrow), in UTC days, as the collector's
// window="30d" gauges (the rules' thresholds watch those) and the alerts'
// dashboard links have it.
func AlertWindow(now time.Time) (from, to time.Time) {
	today := Today(now.UTC())
	return today.AddDate(0, 0, -29), today.AddDate(0, 0, 1)
}

// ThresholdNow is the value of the KPI t watches, for t's scope, over
// [from, to) (a page shows AlertWindow's, what the alert compares), in t's
// unit: a ratio, hours or a count (the counts are as of now, whatever the
// range, as the collector exports them). ok is false when there is no value
// (no data in the range). Errors are Compute's.
func ThresholdNow(ctx context.Context, q Querier, facts *Facts, orgs *org.Cache, orgID string, t Threshold, from, to, now time.Time) (v decimal.Decimal, ok bool, err error) {
	vs, oks, err := ThresholdsNow(ctx, q, facts, orgs, orgID, []Threshold{t}, from, to, now)
	if err != nil {
		return v, false, err
	}
	return vs[0], oks[0], nil
}

// ThresholdsNow is ThresholdNow of each of ts, by index. Thresholds of the
// same KPI and scope kind (org, client or team) share one query, grouped
// by that scope; the distinct queries run at most two at a time (the
// engine's cores are shared with the pages).
func ThresholdsNow(ctx context.Context, q Querier, facts *Facts, orgs *org.Cache, orgID string, ts []Threshold, from, to, now time.Time) ([]decimal.Decimal, []bool, error) {
	type key struct{ kpi, group string }
	reqs := map[key]Request{}
	keys := make([]key, len(ts))
	cols := make([]string, len(ts))
	for i, t := range ts {
		kpi, col, f := t.KPI, "value", from
		switch t.KPI {
		case "overdue_deliverables":
			kpi, col, f = "on_time_rate", "open_overdue", now.AddDate(-1, 0, 0)
		case "stuck_reviews":
			kpi, col, f = "pending_reviews", "stuck", now.AddDate(-1, 0, 0)
		}
		group := ""
		if t.Scope != "org" {
			group = t.Scope
		}
		keys[i], cols[i] = key{kpi, group}, col
		reqs[keys[i]] = Request{KPI: kpi, Org: orgID, From: f, To: to, GroupBy: group, Now: now, Orgs: orgs}
	}
	var (
		mu     sync.Mutex
		tables = map[key]Table{}
		errs   []error
		wg     sync.WaitGroup
		sem    = make(chan struct{}, 2)
	)
	for k, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			res, err := Compute(ctx, q, facts, r)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			tables[k] = TableOf(res)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	vs, oks := make([]decimal.Decimal, len(ts)), make([]bool, len(ts))
	for i, t := range ts {
		vs[i], oks[i] = thresholdValue(tables[keys[i]], t, keys[i].group, cols[i])
	}
	return vs, oks, nil
}

// thresholdValue reads t's value from its KPI's table grouped by group
// ("" for the org's).
func thresholdValue(tab Table, t Threshold, group, col string) (decimal.Decimal, bool) {
	var sum float64
	ok := false
	for r := range tab.Len() {
		if group != "" && tab.Str(r, group) != t.ScopeValue {
			continue
		}
		if t.KPI == "approval_time_p90" && tab.Num0(r, "cycles") == 0 {
			continue
		}
		x, known := tab.Num(r, col)
		if !known {
			continue
		}
		if ThresholdKPIs[t.KPI].Unit != "count" {
			return decimal.NewFromFloat(x), true
		}
		sum, ok = sum+x, true
	}
	if t.KPI == "overdue_deliverables" || t.KPI == "stuck_reviews" {
		ok = true // none is 0
	}
	return decimal.NewFromFloat(sum), ok
}

// thresholdName names a threshold for an audit trail: its KPI's title and
// scope, such as "Write-off rate, client c-0003".
func thresholdName(t Threshold) string {
	name := t.KPI
	if k, ok := Lookup(t.KPI); ok && k.Title != "" {
		name = k.Title
	}
	return name + ", " + strings.TrimSpace(t.Scope+" "+t.ScopeValue)
}

// thresholdShown is a threshold as an audit trail shows it: the value as
// people write it (8%, 36h).
func thresholdShown(t Threshold) map[string]string {
	return map[string]string{"kpi": t.KPI, "scope": strings.TrimSpace(t.Scope + " " + t.ScopeValue), "comparator": t.Comparator,
		"value": t.ValueText(), "for": formatFor(t.For.Duration), "severity": t.Severity}
}

// SetThreshold is PutThreshold made by who (an audit trail's Who: an email,
// "token <id>", "cli"), recorded in the org's audit trail with the
// threshold before (none for a new one) and after. Errors are
// PutThreshold's, or recording's (wrapped) after the threshold is stored.
func SetThreshold(ctx context.Context, s ThresholdStore, orgID, who string, t Threshold, now time.Time) (Threshold, error) {
	var before *Threshold
	if t.ID != "" {
		list, err := ListThresholds(ctx, s, orgID)
		if err != nil {
			return t, err
		}
		if i := slices.IndexFunc(list, func(x Threshold) bool { return x.ID == t.ID }); i >= 0 {
			before = &list[i]
		}
	}
	stored, err := PutThreshold(ctx, s, orgID, t, now)
	if err != nil {
		return stored, err
	}
	c := org.Change{Org: orgID, Who: who, Kind: org.AuditThreshold, Subject: stored.ID, Name: thresholdName(stored), After: org.JSON(thresholdShown(stored)), At: now}
	if before != nil {
		c.Before = org.JSON(thresholdShown(*before))
		if c.Before == c.After {
			return stored, nil
		}
	}
	if err := org.Record(ctx, s, c); err != nil {
		return stored, fmt.Errorf("threshold %s saved, but not recorded in the audit trail: %w", stored.ID, err)
	}
	return stored, nil
}

// RemoveThreshold is DeleteThreshold made by who, recorded in the org's
// audit trail. found is false, and nothing is written, when the org has no
// threshold id.
func RemoveThreshold(ctx context.Context, s ThresholdStore, orgID, who, id string, now time.Time) (found bool, err error) {
	list, err := ListThresholds(ctx, s, orgID)
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(list, func(x Threshold) bool { return x.ID == id })
	if i < 0 {
		return false, nil
	}
	if err := DeleteThreshold(ctx, s, orgID, id, now); err != nil {
		return true, err
	}
	if err := org.Record(ctx, s, org.Change{Org: orgID, Who: who, Kind: org.AuditThreshold, Subject: id, Name: thresholdName(list[i]),
		Before: org.JSON(thresholdShown(list[i])), At: now}); err != nil {
		return true, fmt.Errorf("threshold %s removed, but not recorded in the audit trail: %w", id, err)
	}
	return true, nil
}

// ThresholdStore is what storing thresholds needs.
type ThresholdStore interface {
	Querier
	Inserter
}

// RegisterThresholdAPI adds GET /alerts/thresholds (read) to read, and PUT
// /alerts/thresholds, PUT and DELETE /alerts/thresholds/{id} (admin) to
// admin. The org always comes from the token; whoOf names the request's
// principal for the audit trail.
func RegisterThresholdAPI(read, admin *echo.Group, s ThresholdStore, orgOf OrgOf, whoOf func(echo.Context) string, now func() time.Time) {
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
		if err := dec.Decode(&t); errors.Is(err, ErrBadRequest) {
			return err
		} else if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "body: "+JSONProblem(err))
		}
		if why := OnlyValue(dec); why != "" {
			return echo.NewHTTPError(http.StatusBadRequest, "body: "+why)
		}
		if id := c.Param("id"); id != "" {
			if t.ID != "" && t.ID != id {
				return echo.NewHTTPError(http.StatusBadRequest, "the body's id differs from the path's")
			}
			t.ID = id
		}
		stored, err := SetThreshold(c.Request().Context(), s, org, whoOf(c), t, now())
		if errors.Is(err, ErrBadRequest) {
			return err
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
		found, err := RemoveThreshold(c.Request().Context(), s, org, whoOf(c), id, now())
		if err != nil {
			return err
		}
		if !found {
			return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("org has no threshold %q", id))
		}
		return c.NoContent(http.StatusNoContent)
	})
}
