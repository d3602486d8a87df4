package canonical

import (
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// A time entry in NDJSON, and in CSV, that the validation cases change one
// field of.
const (
	teHeader = "external_id,person,date,hours,billable,bill_rate,billing_status,updated_at,tags\n"
	teJSON   = `{"external_id":"te-1","person":"p-1","date":"2026-03-02","hours":1,"billable":true}`
)

// te returns a time entry object with field set to the JSON value v.
func te(field, v string) string {
	return strings.Replace(teJSON, "}", `,"`+field+`":`+v+"}", 1)
}

// teWithout returns the time entry object without field.
func teWithout(field string) string {
	s := teJSON
	i := strings.Index(s, `"`+field+`"`)
	j := strings.Index(s[i:], ",")
	if j < 0 {
		return strings.TrimSuffix(s[:i-1], ",") + "}"
	}
	return s[:i] + s[i+j+1:]
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name   string
		entity string
		format string
		input  string
		want   ingest.RowError // File is always "f"; Reason is matched as a substring
	}{
		// Hours.
		{"negative hours", "time_entry", FormatNDJSON, strings.Replace(teJSON, `"hours":1`, `"hours":-1`, 1),
			ingest.RowError{Line: 1, Field: "hours", Value: "-1", Reason: "must not be negative"}},
		{"more than 24 hours", "time_entry", FormatNDJSON, strings.Replace(teJSON, `"hours":1`, `"hours":24.5`, 1),
			ingest.RowError{Line: 1, Field: "hours", Value: "24.5", Reason: "more than 24 hours in one time entry"}},
		{"exactly 24 hours is fine, 24.000001 is not", "time_entry", FormatCSV, teHeader + "te-1,p-1,2026-03-02,24.000001,true,,,,\n",
			ingest.RowError{Line: 2, Field: "hours", Value: "24.000001", Reason: "more than 24 hours"}},
		{"hours with 7 decimals", "time_entry", FormatNDJSON, strings.Replace(teJSON, `"hours":1`, `"hours":1.1234567`, 1),
			ingest.RowError{Line: 1, Field: "hours", Value: "1.1234567", Reason: "more than 6 decimals"}},
		{"hours with 7 decimals in CSV", "time_entry", FormatCSV, teHeader + "te-1,p-1,2026-03-02,0.0000001,true,,,,\n",
			ingest.RowError{Line: 2, Field: "hours", Value: "0.0000001", Reason: "more than 6 decimals"}},
		{"malformed hours", "time_entry", FormatCSV, teHeader + "te-1,p-1,2026-03-02,1h30,true,,,,\n",
			ingest.RowError{Line: 2, Field: "hours", Value: "1h30", Reason: "not a number"}},
		{"decimal comma", "time_entry", FormatCSV, teHeader + `te-1,p-1,2026-03-02,"1,5",true,,,,` + "\n",
			ingest.RowError{Line: 2, Field: "hours", Value: "1,5", Reason: "use '.' as the decimal separator"}},
		{"hours as a JSON bool", "time_entry", FormatNDJSON, strings.Replace(teJSON, `"hours":1`, `"hours":true`, 1),
			ingest.RowError{Line: 1, Field: "hours", Value: "true", Reason: "must be a number"}},
		{"huge exponent", "time_entry", FormatNDJSON, strings.Replace(teJSON, `"hours":1`, `"hours":1e999999999`, 1),
			ingest.RowError{Line: 1, Field: "hours", Value: "1e999999999", Reason: "too large"}},
		{"weekly capacity over 168", "person", FormatNDJSON, `{"external_id":"p","name":"n","valid_from":"2026-01-01","weekly_capacity_hours":169}`,
			ingest.RowError{Line: 1, Field: "weekly_capacity_hours", Value: "169", Reason: "more than 168 hours"}},
		{"time off over 24 hours a day", "time_off", FormatNDJSON, `{"external_id":"x","person":"p","start_date":"2026-01-01","end_date":"2026-01-01","hours_per_day":25}`,
			ingest.RowError{Line: 1, Field: "hours_per_day", Value: "25", Reason: "more than 24 hours in one day"}},
		{"budget hours too large", "project", FormatNDJSON, `{"external_id":"x","name":"n","kind":"internal","budget_hours":1234567890123}`,
			ingest.RowError{Line: 1, Field: "budget_hours", Value: "1234567890123", Reason: "too large"}},

		// Money.
		{"money with 5 decimals", "time_entry", FormatCSV, teHeader + "te-1,p-1,2026-03-02,1,true,120.12345,,,\n",
			ingest.RowError{Line: 2, Field: "bill_rate", Value: "120.12345", Reason: "more than 4 decimals"}},
		{"money with 5 decimals, trailing zeros do not count", "time_entry", FormatCSV, teHeader + "te-1,p-1,2026-03-02,1,true,120.123400,,,x\n" +
			"te-2,p-1,2026-03-02,1,true,0.00001,,,\n",
			ingest.RowError{Line: 3, Field: "bill_rate", Value: "0.00001", Reason: "more than 4 decimals"}},
		{"negative rate", "time_entry", FormatNDJSON, te("bill_rate", `"-5"`),
			ingest.RowError{Line: 1, Field: "bill_rate", Value: "-5", Reason: "must not be negative"}},
		{"invoice amount with 5 decimals", "invoice_line", FormatNDJSON, `{"external_id":"x","date":"2026-01-01","amount":1.00001}`,
			ingest.RowError{Line: 1, Field: "amount", Value: "1.00001", Reason: "more than 4 decimals"}},
		{"money too large", "project", FormatNDJSON, `{"external_id":"x","name":"n","kind":"internal","budget_amount":123456789012345}`,
			ingest.RowError{Line: 1, Field: "budget_amount", Value: "123456789012345", Reason: "too large"}},
		{"negative adjustment", "adjustment", FormatNDJSON, `{"external_id":"x","kind":"write_off","client":"c","date":"2026-01-01","amount":-5}`,
			ingest.RowError{Line: 1, Field: "amount", Value: "-5", Reason: "must not be negative"}},

		// Dates and timestamps.
		{"date before 2000", "time_entry", FormatNDJSON, strings.Replace(teJSON, "2026-03-02", "1999-12-31", 1),
			ingest.RowError{Line: 1, Field: "date", Value: "1999-12-31", Reason: "between 2000-01-01 and 2100-12-31"}},
		{"date after 2100", "time_entry", FormatCSV, teHeader + "te-1,p-1,2101-01-01,1,true,,,,\n",
			ingest.RowError{Line: 2, Field: "date", Value: "2101-01-01", Reason: "between 2000-01-01 and 2100-12-31"}},
		{"no such day", "time_entry", FormatNDJSON, strings.Replace(teJSON, "2026-03-02", "2026-02-29", 1),
			ingest.RowError{Line: 1, Field: "date", Value: "2026-02-29", Reason: "YYYY-MM-DD"}},
		{"US date", "time_entry", FormatCSV, teHeader + "te-1,p-1,03/02/2026,1,true,,,,\n",
			ingest.RowError{Line: 2, Field: "date", Value: "03/02/2026", Reason: "must be a date YYYY-MM-DD"}},
		{"timestamp without offset", "time_entry", FormatNDJSON, te("updated_at", `"2026-03-02T10:00:00"`),
			ingest.RowError{Line: 1, Field: "updated_at", Value: "2026-03-02T10:00:00", Reason: "RFC 3339"}},
		{"timestamp with a space", "time_entry", FormatCSV, teHeader + "te-1,p-1,2026-03-02,1,true,,,2026-03-02 10:00:00Z,\n",
			ingest.RowError{Line: 2, Field: "updated_at", Value: "2026-03-02 10:00:00Z", Reason: "RFC 3339"}},
		{"timestamp offset without colon", "task_event", FormatNDJSON, `{"external_id":"e","occurred_at":"2026-03-02T10:00:00+0100","type":"created"}`,
			ingest.RowError{Line: 1, Field: "occurred_at", Value: "2026-03-02T10:00:00+0100", Reason: "RFC 3339"}},
		{"timestamp before 2000", "task_event", FormatNDJSON, `{"external_id":"e","occurred_at":"1999-12-31T23:00:00+02:00","type":"created"}`,
			ingest.RowError{Line: 1, Field: "occurred_at", Value: "1999-12-31T23:00:00+02:00", Reason: "between 2000-01-01"}},
		{"date as a JSON number", "time_entry", FormatNDJSON, strings.Replace(teJSON, `"2026-03-02"`, `20260302`, 1),
			ingest.RowError{Line: 1, Field: "date", Value: "20260302", Reason: "must be a date"}},

		// End before start.
		{"allocation ends before it starts", "allocation", FormatCSV,
			"external_id,person,project,start_date,end_date,hours_per_week\nal-1,p,pr,2026-05-04,2026-05-01,10\n",
			ingest.RowError{Line: 2, Field: "end_date", Value: "2026-05-01", Reason: "before the start date 2026-05-04"}},
		{"time off ends before it starts", "time_off", FormatNDJSON,
			`{"external_id":"x","person":"p","start_date":"2026-04-10","end_date":"2026-04-06"}`,
			ingest.RowError{Line: 1, Field: "end_date", Value: "2026-04-06", Reason: "before the start date"}},
		{"employment ends before it starts", "person", FormatNDJSON,
			`{"external_id":"p","name":"n","start_date":"2026-04-10","end_date":"2026-04-06"}`,
			ingest.RowError{Line: 1, Field: "end_date", Value: "2026-04-06", Reason: "before the start date"}},
		{"project ends before it starts", "project", FormatNDJSON,
			`{"external_id":"p","name":"n","kind":"internal","start_date":"2026-04-10","end_date":"2026-04-06"}`,
			ingest.RowError{Line: 1, Field: "end_date", Value: "2026-04-06", Reason: "before the start date"}},

		// Probability and allocation rules.
		{"probability above 1", "allocation", FormatNDJSON,
			`{"external_id":"a","person":"p","project":"pr","start_date":"2026-01-01","end_date":"2026-01-31","hours_per_week":5,"status":"tentative","probability":1.5}`,
			ingest.RowError{Line: 1, Field: "probability", Value: "1.5", Reason: "between 0 and 1"}},
		{"probability below 0", "allocation", FormatCSV,
			"external_id,person,project,start_date,end_date,hours_per_week,status,probability\na,p,pr,2026-01-01,2026-01-31,5,tentative,-0.1\n",
			ingest.RowError{Line: 2, Field: "probability", Value: "-0.1", Reason: "must not be negative"}},
		{"confirmed with a probability", "allocation", FormatNDJSON,
			`{"external_id":"a","person":"p","project":"pr","start_date":"2026-01-01","end_date":"2026-01-31","hours_per_week":5,"probability":0.5}`,
			ingest.RowError{Line: 1, Field: "probability", Value: "0.5", Reason: "a confirmed allocation is certain"}},
		{"allocation with neither person nor role", "allocation", FormatNDJSON,
			`{"external_id":"a","project":"pr","start_date":"2026-01-01","end_date":"2026-01-31","hours_per_week":5}`,
			ingest.RowError{Line: 1, Field: "person", Reason: "give person or role"}},
		{"allocation without hours", "allocation", FormatNDJSON,
			`{"external_id":"a","person":"p","project":"pr","start_date":"2026-01-01","end_date":"2026-01-31"}`,
			ingest.RowError{Line: 1, Field: "hours_per_week", Reason: "give hours_per_week or hours_per_day"}},
		{"allocation with both hours", "allocation", FormatNDJSON,
			`{"external_id":"a","person":"p","project":"pr","start_date":"2026-01-01","end_date":"2026-01-31","hours_per_week":5,"hours_per_day":1}`,
			ingest.RowError{Line: 1, Field: "hours_per_day", Value: "1", Reason: "not both"}},
		{"allocation status", "allocation", FormatNDJSON,
			`{"external_id":"a","person":"p","project":"pr","start_date":"2026-01-01","end_date":"2026-01-31","hours_per_week":5,"status":"maybe"}`,
			ingest.RowError{Line: 1, Field: "status", Value: "maybe", Reason: "must be one of confirmed, tentative"}},
		{"utilization as a percentage", "person", FormatNDJSON, `{"external_id":"p","name":"n","valid_from":"2026-01-01","utilization_target":85}`,
			ingest.RowError{Line: 1, Field: "utilization_target", Value: "85", Reason: "85% is 0.85"}},

		// Enums and words.
		{"billing status", "time_entry", FormatNDJSON, te("billing_status", `"invoiced"`),
			ingest.RowError{Line: 1, Field: "billing_status", Value: "invoiced", Reason: "must be one of unbilled, billed, written_off"}},
		{"project kind", "project", FormatCSV, "external_id,name,kind\npr,n,hourly\n",
			ingest.RowError{Line: 2, Field: "kind", Value: "hourly", Reason: "must be one of retainer, fixed_fee, time_and_materials, internal"}},
		{"adjustment kind", "adjustment", FormatNDJSON, `{"external_id":"x","kind":"discount","client":"c","date":"2026-01-01","amount":5}`,
			ingest.RowError{Line: 1, Field: "kind", Value: "discount", Reason: "must be one of write_off, write_up"}},
		{"adjustment reason", "adjustment", FormatNDJSON, `{"external_id":"x","kind":"write_off","client":"c","date":"2026-01-01","amount":5,"reason":"client was unhappy"}`,
			ingest.RowError{Line: 1, Field: "reason", Value: "client was unhappy", Reason: "must be one of over_service"}},
		{"adjustment without hours or amount", "adjustment", FormatNDJSON, `{"external_id":"x","kind":"write_off","client":"c","date":"2026-01-01"}`,
			ingest.RowError{Line: 1, Field: "amount", Reason: "give amount or hours"}},
		{"task event type not snake_case", "task_event", FormatNDJSON, `{"external_id":"e","occurred_at":"2026-03-02T10:00:00Z","type":"Status Changed"}`,
			ingest.RowError{Line: 1, Field: "type", Value: "Status Changed", Reason: "snake_case"}},
		{"task event without type", "task_event", FormatNDJSON, `{"external_id":"e","occurred_at":"2026-03-02T10:00:00Z","type":""}`,
			ingest.RowError{Line: 1, Field: "type", Reason: "required"}},
		{"billable not a boolean", "time_entry", FormatCSV, teHeader + "te-1,p-1,2026-03-02,1,maybe,,,,\n",
			ingest.RowError{Line: 2, Field: "billable", Value: "maybe", Reason: "must be true or false"}},
		{"billable as a JSON number", "time_entry", FormatNDJSON, strings.Replace(teJSON, `"billable":true`, `"billable":1`, 1),
			ingest.RowError{Line: 1, Field: "billable", Value: "1", Reason: "must be true or false"}},
		{"currency", "client", FormatCSV, "external_id,name,currency\nc,n,Euro\n",
			ingest.RowError{Line: 2, Field: "currency", Value: "Euro", Reason: "ISO 4217"}},
		{"email", "person", FormatCSV, "external_id,name,valid_from,email\np,n,2026-01-01,Ana Silva\n",
			ingest.RowError{Line: 2, Field: "email", Value: "Ana Silva", Reason: "must be an email address"}},
		{"workdays", "person", FormatCSV, "external_id,name,valid_from,workdays\np,n,2026-01-01,mon;funday\n",
			ingest.RowError{Line: 2, Field: "workdays", Value: "mon;funday", Reason: "mon,tue,wed,thu,fri"}},
		{"source", "time_entry", FormatNDJSON, te("source", `"My Tool"`),
			ingest.RowError{Line: 1, Field: "source", Value: "My Tool", Reason: "short lowercase name"}},
		{"id as a float", "time_entry", FormatNDJSON, strings.Replace(teJSON, `"p-1"`, `1.5`, 1),
			ingest.RowError{Line: 1, Field: "person", Value: "1.5", Reason: "string or an integer"}},
		{"tags as an object", "time_entry", FormatNDJSON, te("tags", `{"a":1}`),
			ingest.RowError{Line: 1, Field: "tags", Value: `{"a":1}`, Reason: "must be an array of strings"}},
		{"tags holding a number and a null", "time_entry", FormatNDJSON, te("tags", `["a",null]`),
			ingest.RowError{Line: 1, Field: "tags", Value: `["a",null]`, Reason: "must be an array of strings"}},
		{"notes as a number", "time_entry", FormatNDJSON, te("notes", `5`),
			ingest.RowError{Line: 1, Field: "notes", Value: "5", Reason: "must be a string"}},

		// Required fields.
		{"missing person", "time_entry", FormatNDJSON, teWithout("person"),
			ingest.RowError{Line: 1, Field: "person", Reason: "required"}},
		{"empty person in CSV", "time_entry", FormatCSV, teHeader + "te-1,  ,2026-03-02,1,true,,,,\n",
			ingest.RowError{Line: 2, Field: "person", Reason: "required"}},
		{"null billable", "time_entry", FormatNDJSON, strings.Replace(teJSON, `"billable":true`, `"billable":null`, 1),
			ingest.RowError{Line: 1, Field: "billable", Reason: "required"}},
		{"missing external_id", "time_entry", FormatNDJSON, teWithout("external_id"),
			ingest.RowError{Line: 1, Field: "external_id", Reason: "required"}},
		{"person without valid_from or start_date", "person", FormatNDJSON, `{"external_id":"p","name":"n"}`,
			ingest.RowError{Line: 1, Field: "valid_from", Reason: "give valid_from or start_date"}},
		{"holiday without date", "holiday", FormatNDJSON, `{"name":"Christmas"}`,
			ingest.RowError{Line: 1, Field: "date", Reason: "required"}},

		// JSON shape.
		{"unknown field", "time_entry", FormatNDJSON, te("hourz", "2"),
			ingest.RowError{Line: 1, Field: "hourz", Value: "2", Reason: `unknown field (did you mean "hours"?)`}},
		{"field given twice", "time_entry", FormatNDJSON, te("hours", "2"),
			ingest.RowError{Line: 1, Field: "hours", Value: "2", Reason: "given twice"}},
		{"source on a holiday", "holiday", FormatJSON, `[{"date":"2026-12-25","source":"api"}]`,
			ingest.RowError{Line: 1, Field: "source", Value: "api", Reason: "unknown field"}},
		{"array element not an object", "time_entry", FormatJSON, "[\n  " + teJSON + ",\n  42\n]",
			ingest.RowError{Line: 3, Reason: "not a JSON object"}},
		{"NDJSON line not an object", "time_entry", FormatNDJSON, "\"te-1\"",
			ingest.RowError{Line: 1, Reason: "invalid JSON: expected a JSON object"}},

		// CSV shape.
		{"too many columns", "time_entry", FormatCSV, teHeader + "te-1,p-1,2026-03-02,1,true,,,,,x\n",
			ingest.RowError{Line: 2, Reason: "the row has 10 cells but the header has 9 columns"}},
		{"too few columns", "time_entry", FormatCSV, teHeader + "te-1,p-1,2026-03-02,1,true\n",
			ingest.RowError{Line: 2, Reason: "5 columns, but the header has 9"}},
		{"stray quote", "time_entry", FormatCSV, teHeader + "te-1,p-1,2026-03-02,1,true,,,,a\"b\nte-2,p-1,2026-03-02,1,true,,,,\n",
			ingest.RowError{Line: 2, Reason: "bad quoting"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, rowErrs, fileErr := parseAll(t, tc.entity, tc.format, tc.input)
			if fileErr != nil {
				t.Fatalf("FileError %v", fileErr)
			}
			if len(rowErrs) != 1 {
				t.Fatalf("got %d row errors %v (and %d rows), want 1", len(rowErrs), rowErrs, len(rows))
			}
			got := rowErrs[0]
			if got.File != "f" || got.Line != tc.want.Line || got.Field != tc.want.Field || got.Value != tc.want.Value ||
				!strings.Contains(got.Reason, tc.want.Reason) {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

// TestRowErrorsContinue checks that a rejected row does not stop the rows
// after it, in every format.
func TestRowErrorsContinue(t *testing.T) {
	good := `{"external_id":"te-%d","person":"p-1","date":"2026-03-02","hours":1,"billable":true}`
	bad := strings.Replace(good, `"hours":1`, `"hours":-1`, 1)
	line := func(f string, n int) string { return strings.Replace(f, "%d", string(rune('0'+n)), 1) }
	ndjson := line(good, 1) + "\n" + line(bad, 2) + "\n" + line(good, 3) + "\n"
	array := "[" + line(good, 1) + ",\n" + line(bad, 2) + ",\n" + line(good, 3) + "]"
	csv := "external_id,person,date,hours,billable\nte-1,p-1,2026-03-02,1,true\nte-2,p-1,2026-03-02,-1,true\nte-3,p-1,2026-03-02,1,true\n"
	for _, tc := range []struct{ format, input string }{{FormatNDJSON, ndjson}, {FormatJSON, array}, {FormatCSV, csv}} {
		rows, rowErrs, fileErr := parseAll(t, "time_entry", tc.format, tc.input)
		if fileErr != nil || len(rows) != 2 || len(rowErrs) != 1 {
			t.Errorf("%s: %d rows, %v, %v; want 2 rows and 1 row error", tc.format, len(rows), rowErrs, fileErr)
			continue
		}
		if got := rows[1].Record.(ingest.TimeEntry).ExternalID; got != "te-3" {
			t.Errorf("%s: second row %s, want te-3", tc.format, got)
		}
	}
}
