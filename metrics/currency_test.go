package metrics_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// An org's currency comes from its settings, else from its data (the
// clients' and time entries' currency), never from a default.
func TestCurrencyFromDataNeverADefault(t *testing.T) {
	client := func(org, id, cur string) ingest.Client {
		return ingest.Client{Meta: ingest.Meta{Org: org, Source: "api", ExternalID: id}, Name: id, Currency: cur}
	}
	req := func(org string) metrics.Request {
		return metrics.Request{KPI: "revenue", Org: org, From: d("2026-01-01"), To: d("2026-02-01")}
	}
	// cur-eur has no settings and no time entries: only its clients are in EUR.
	write(t, []ingest.Client{client("cur-eur", "c-1", "EUR"), client("cur-eur", "c-2", "EUR"), client("cur-eur", "c-3", "")})
	if got := compute(t, req("cur-eur")).Currency; got != "EUR" {
		t.Errorf("org with EUR clients only: currency %q, want EUR", got)
	}

	// cur-set keeps its books in GBP: the setting wins over a client billed in EUR.
	write(t, []settings.Settings{{ID: "cur-set", Name: "Set", Currency: "GBP"}}, []ingest.Client{client("cur-set", "c-1", "EUR")})
	if got := compute(t, req("cur-set")).Currency; got != "GBP" {
		t.Errorf("org set to GBP: currency %q, want GBP", got)
	}

	// cur-none has nothing that names a currency, cur-two two of them: neither
	// is guessed, and the answer says so.
	write(t, []ingest.Client{client("cur-two", "c-1", "EUR"), client("cur-two", "c-2", "CHF")})
	for org, why := range map[string]string{"cur-none": "no client or time entry names one", "cur-two": "its data names CHF and EUR"} {
		res := compute(t, req(org))
		if res.Currency != "" {
			t.Errorf("%s: currency %q, want unknown", org, res.Currency)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Currency *string  `json:"currency"`
			Notes    []string `json:"notes"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Currency != nil {
			t.Errorf("%s: JSON currency %q, want null", org, *got.Currency)
		}
		if len(got.Notes) == 0 || !strings.Contains(got.Notes[0], "currency unknown") || !strings.Contains(got.Notes[0], why) ||
			!strings.Contains(got.Notes[0], "opsmetrics org set --currency") {
			t.Errorf("%s: notes %q, want one that says the currency is unknown (%s) and how to set it", org, got.Notes, why)
		}
		var table bytes.Buffer
		if err := res.WriteTable(&table); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(table.String(), "currency unknown — set it with `opsmetrics org set --currency`") {
			t.Errorf("%s: table\n%s\nwant the unknown currency said under it", org, table.String())
		}
	}
}
