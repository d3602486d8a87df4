package canonical

import (
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// roundTrips are one record per entity, written in CSV and in NDJSON, and
// the record both must give. The JSON array form wraps the NDJSON object.
var roundTrips = []struct {
	name   string
	entity string
	csv    string // header and one row
	ndjson string // one object on one line
	want   func(source string) any
}{
	{
		name:   "person, every field",
		entity: "person",
		csv: "external_id,name,email,role,team,weekly_capacity_hours,workdays,cost_rate,bill_rate,utilization_target,start_date,end_date,valid_from,holiday_calendar\n" +
			`p-1,Ana Silva,ana@example.com,designer,design,32.5,"mon,tue,thu",45.5,120,0.8,2024-03-01,2026-12-31,2025-01-01,uk` + "\n",
		ndjson: `{"external_id":"p-1","name":"Ana Silva","email":"ana@example.com","role":"designer","team":"design","weekly_capacity_hours":32.5,"workdays":"mon,tue,thu","cost_rate":"45.5","bill_rate":120,"utilization_target":0.8,"start_date":"2024-03-01","end_date":"2026-12-31","valid_from":"2025-01-01","holiday_calendar":"uk"}`,
		want: func(src string) any {
			return ingest.Person{Meta: meta("p-1", src), ValidFrom: day("2025-01-01"), Name: "Ana Silva", Email: "ana@example.com",
				Role: "designer", Team: "design", WeeklyCapacityHours: dv("32.5"), Workdays: 0b0001011,
				CostRate: dp("45.5"), BillRate: dp("120"), UtilizationTarget: dp("0.8"),
				StartDate: dayp("2024-03-01"), EndDate: dayp("2026-12-31"), HolidayCalendar: "uk"}
		},
	},
	{
		name:   "person, defaults: valid_from from start_date, 40 hours",
		entity: "person",
		csv:    "external_id,name,start_date\np-2,Ben,2023-09-15\n",
		ndjson: `{"external_id":"p-2","name":"Ben","start_date":"2023-09-15"}`,
		want: func(src string) any {
			return ingest.Person{Meta: meta("p-2", src), ValidFrom: day("2023-09-15"), Name: "Ben",
				WeeklyCapacityHours: dv("40"), StartDate: dayp("2023-09-15")}
		},
	},
	{
		name:   "client",
		entity: "client",
		csv:    "external_id,name,currency\nc-1,\"Initech, Inc.\",eur\n",
		ndjson: `{"external_id":"c-1","name":"Initech, Inc.","currency":"eur"}`,
		want: func(src string) any {
			return ingest.Client{Meta: meta("c-1", src), Name: "Initech, Inc.", Currency: "EUR"}
		},
	},
	{
		name:   "project, every field",
		entity: "project",
		csv: "external_id,name,client,kind,billable_default,bill_rate,budget_hours,budget_amount,retainer_fee_monthly,retainer_hours_monthly,start_date,end_date\n" +
			"pr-1,Brand retainer,c-1,retainer,no,120.25,1200.5,150000,12000,100,2026-01-01,2026-12-31\n",
		ndjson: `{"external_id":"pr-1","name":"Brand retainer","client":"c-1","kind":"retainer","billable_default":false,"bill_rate":120.25,"budget_hours":"1200.5","budget_amount":150000,"retainer_fee_monthly":12000,"retainer_hours_monthly":100,"start_date":"2026-01-01","end_date":"2026-12-31"}`,
		want: func(src string) any {
			return ingest.Project{Meta: meta("pr-1", src), Name: "Brand retainer", ClientID: "c-1", Kind: "retainer",
				BillableDefault: false, BillRate: dp("120.25"), BudgetHours: dp("1200.5"), BudgetAmount: dp("150000"),
				RetainerFeeMonthly: dp("12000"), RetainerHoursMonthly: dp("100"),
				StartDate: dayp("2026-01-01"), EndDate: dayp("2026-12-31")}
		},
	},
	{
		name:   "project, billable_default follows the kind",
		entity: "project",
		csv:    "external_id,name,kind\npr-2,Admin,internal\n",
		ndjson: `{"external_id":"pr-2","name":"Admin","kind":"internal"}`,
		want: func(src string) any {
			return ingest.Project{Meta: meta("pr-2", src), Name: "Admin", Kind: "internal"}
		},
	},
	{
		name:   "time entry, every field",
		entity: "time_entry",
		csv: "external_id,person,date,hours,project,client,task,notes,billable,bill_rate,cost_rate,billing_status,invoice_id,billed_amount,currency,tags,phase,deliverable,updated_at,source\n" +
			`te-1,p-1,2026-03-02,0.1,pr-1,c-1,Design,"Key visuals, round 2",yes,130.1234,48,billed,inv-7,13.0123,usd,design; campaign,design,d-1,2026-03-02T18:10:00.5+01:00,toggl` + "\n",
		ndjson: `{"external_id":"te-1","person":"p-1","date":"2026-03-02","hours":0.1,"project":"pr-1","client":"c-1","task":"Design","notes":"Key visuals, round 2","billable":true,"bill_rate":130.1234,"cost_rate":"48","billing_status":"billed","invoice_id":"inv-7","billed_amount":13.0123,"currency":"usd","tags":["design","campaign"],"phase":"design","deliverable":"d-1","updated_at":"2026-03-02T18:10:00.5+01:00","source":"toggl"}`,
		want: func(string) any {
			return ingest.TimeEntry{Meta: meta("te-1", "toggl"), PersonID: "p-1", Date: day("2026-03-02"), Hours: dv("0.1"),
				ProjectID: "pr-1", ClientID: "c-1", Task: "Design", Notes: "Key visuals, round 2", Billable: true,
				BillRate: dp("130.1234"), CostRate: dp("48"), BillingStatus: "billed", InvoiceID: "inv-7",
				BilledAmount: dp("13.0123"), Currency: "USD", Tags: []string{"design", "campaign"}, Phase: "design",
				DeliverableID: "d-1", UpdatedAt: tsp("2026-03-02T17:10:00.5Z")}
		},
	},
	{
		name:   "time entry, required only; numeric ids; zero hours",
		entity: "time_entry",
		csv:    "external_id,person,date,hours,billable\n1001,42,2026-03-02,0,0\n",
		ndjson: `{"external_id":1001,"person":42,"date":"2026-03-02","hours":0,"billable":false}`,
		want: func(src string) any {
			return ingest.TimeEntry{Meta: meta("1001", src), PersonID: "42", Date: day("2026-03-02"), Hours: dv("0"),
				BillingStatus: "unbilled"}
		},
	},
	{
		name:   "deliverable, every field",
		entity: "deliverable",
		csv: "external_id,name,client,project,due_date,committed_due_date,delivered_at,in_scope,owner,updated_at\n" +
			"d-1,Key visuals,c-1,pr-1,2026-03-13,2026-03-10,2026-03-12T17:30:00Z,false,p-1,2026-03-12T18:00:00-05:00\n",
		ndjson: `{"external_id":"d-1","name":"Key visuals","client":"c-1","project":"pr-1","due_date":"2026-03-13","committed_due_date":"2026-03-10","delivered_at":"2026-03-12T17:30:00Z","in_scope":false,"owner":"p-1","updated_at":"2026-03-12T18:00:00-05:00"}`,
		want: func(src string) any {
			return ingest.Deliverable{Meta: meta("d-1", src), Name: "Key visuals", ClientID: "c-1", ProjectID: "pr-1",
				DueDate: dayp("2026-03-13"), CommittedDueDate: dayp("2026-03-10"), DeliveredAt: tsp("2026-03-12T17:30:00Z"),
				InScope: false, OwnerID: "p-1", UpdatedAt: tsp("2026-03-12T23:00:00Z")}
		},
	},
	{
		name:   "deliverable, in scope by default",
		entity: "deliverable",
		csv:    "external_id,name\nd-2,Banners\n",
		ndjson: `{"external_id":"d-2","name":"Banners"}`,
		want: func(src string) any {
			return ingest.Deliverable{Meta: meta("d-2", src), Name: "Banners", InScope: true}
		},
	},
	{
		name:   "task event, every field",
		entity: "task_event",
		csv: "external_id,occurred_at,type,deliverable,task,client,project,from_status,to_status,phase,actor,due_date\n" +
			"ev-1,2026-03-09T15:00:00+01:00,due_date_changed,d-1,t-301,c-1,pr-1,In progress,Client review,review,p-1,2026-03-20\n",
		ndjson: `{"external_id":"ev-1","occurred_at":"2026-03-09T15:00:00+01:00","type":"due_date_changed","deliverable":"d-1","task":"t-301","client":"c-1","project":"pr-1","from_status":"In progress","to_status":"Client review","phase":"review","actor":"p-1","due_date":"2026-03-20"}`,
		want: func(src string) any {
			return ingest.TaskEvent{Meta: meta("ev-1", src), OccurredAt: ts("2026-03-09T14:00:00Z"), Type: "due_date_changed",
				DeliverableID: "d-1", TaskID: "t-301", ClientID: "c-1", ProjectID: "pr-1", FromStatus: "In progress",
				ToStatus: "Client review", Phase: "review", Actor: "p-1", DueDate: dayp("2026-03-20")}
		},
	},
	{
		name:   "task event, a type of the source's own",
		entity: "task_event",
		csv:    "external_id,occurred_at,type\nev-2,2026-03-09T15:00:00Z,qa_passed\n",
		ndjson: `{"external_id":"ev-2","occurred_at":"2026-03-09T15:00:00Z","type":"qa_passed"}`,
		want: func(src string) any {
			return ingest.TaskEvent{Meta: meta("ev-2", src), OccurredAt: ts("2026-03-09T15:00:00Z"), Type: "qa_passed"}
		},
	},
	{
		name:   "allocation, tentative, every field",
		entity: "allocation",
		csv: "external_id,person,role,project,start_date,end_date,hours_per_week,hours_per_day,status,probability\n" +
			"al-1,p-1,designer,pr-1,2026-05-04,2026-07-31,16,,tentative,0.6\n",
		ndjson: `{"external_id":"al-1","person":"p-1","role":"designer","project":"pr-1","start_date":"2026-05-04","end_date":"2026-07-31","hours_per_week":16,"status":"tentative","probability":0.6}`,
		want: func(src string) any {
			return ingest.Allocation{Meta: meta("al-1", src), PersonID: "p-1", Role: "designer", ProjectID: "pr-1",
				StartDate: day("2026-05-04"), EndDate: day("2026-07-31"), HoursPerWeek: dp("16"),
				Status: "tentative", Probability: dv("0.6")}
		},
	},
	{
		name:   "allocation, role placeholder per day, confirmed by default",
		entity: "allocation",
		csv:    "external_id,role,project,start_date,end_date,hours_per_day\nal-2,developer,pr-1,2026-05-04,2026-05-04,6.5\n",
		ndjson: `{"external_id":"al-2","role":"developer","project":"pr-1","start_date":"2026-05-04","end_date":"2026-05-04","hours_per_day":6.5}`,
		want: func(src string) any {
			return ingest.Allocation{Meta: meta("al-2", src), Role: "developer", ProjectID: "pr-1",
				StartDate: day("2026-05-04"), EndDate: day("2026-05-04"), HoursPerDay: dp("6.5"),
				Status: "confirmed", Probability: dv("1")}
		},
	},
	{
		name:   "allocation, tentative without probability",
		entity: "allocation",
		csv:    "external_id,person,project,start_date,end_date,hours_per_week,status\nal-3,p-1,pr-1,2026-05-04,2026-06-04,10,tentative\n",
		ndjson: `{"external_id":"al-3","person":"p-1","project":"pr-1","start_date":"2026-05-04","end_date":"2026-06-04","hours_per_week":10,"status":"tentative"}`,
		want: func(src string) any {
			return ingest.Allocation{Meta: meta("al-3", src), PersonID: "p-1", ProjectID: "pr-1",
				StartDate: day("2026-05-04"), EndDate: day("2026-06-04"), HoursPerWeek: dp("10"),
				Status: "tentative", Probability: dv("0.5")}
		},
	},
	{
		name:   "time off",
		entity: "time_off",
		csv:    "external_id,person,start_date,end_date,hours_per_day\nto-1,p-1,2026-03-20,2026-03-20,4\n",
		ndjson: `{"external_id":"to-1","person":"p-1","start_date":"2026-03-20","end_date":"2026-03-20","hours_per_day":4}`,
		want: func(src string) any {
			return ingest.TimeOff{Meta: meta("to-1", src), PersonID: "p-1", StartDate: day("2026-03-20"),
				EndDate: day("2026-03-20"), HoursPerDay: dp("4")}
		},
	},
	{
		name:   "time off, full days",
		entity: "time_off",
		csv:    "external_id,person,start_date,end_date\nto-2,p-1,2026-04-06,2026-04-10\n",
		ndjson: `{"external_id":"to-2","person":"p-1","start_date":"2026-04-06","end_date":"2026-04-10"}`,
		want: func(src string) any {
			return ingest.TimeOff{Meta: meta("to-2", src), PersonID: "p-1", StartDate: day("2026-04-06"), EndDate: day("2026-04-10")}
		},
	},
	{
		name:   "holiday",
		entity: "holiday",
		csv:    "date,name,calendar\n2026-12-25,Christmas Day,uk\n",
		ndjson: `{"date":"2026-12-25","name":"Christmas Day","calendar":"uk"}`,
		want: func(string) any {
			return ingest.Holiday{Org: "org1", Calendar: "uk", Date: day("2026-12-25"), Name: "Christmas Day"}
		},
	},
	{
		name:   "adjustment, every field",
		entity: "adjustment",
		csv: "external_id,kind,client,project,person,time_entry,date,hours,amount,reason\n" +
			"adj-1,write_off,c-1,pr-1,p-1,te-1,2026-03-31,2,260,over_service\n",
		ndjson: `{"external_id":"adj-1","kind":"write_off","client":"c-1","project":"pr-1","person":"p-1","time_entry":"te-1","date":"2026-03-31","hours":2,"amount":260,"reason":"over_service"}`,
		want: func(src string) any {
			return ingest.Adjustment{Meta: meta("adj-1", src), Kind: "write_off", ClientID: "c-1", ProjectID: "pr-1",
				PersonID: "p-1", TimeEntryID: "te-1", Date: day("2026-03-31"), Hours: dp("2"), Amount: dp("260"), Reason: "over_service"}
		},
	},
	{
		name:   "adjustment, hours only",
		entity: "adjustment",
		csv:    "external_id,kind,client,date,hours\nadj-2,write_up,c-1,2026-03-31,1.5\n",
		ndjson: `{"external_id":"adj-2","kind":"write_up","client":"c-1","date":"2026-03-31","hours":1.5}`,
		want: func(src string) any {
			return ingest.Adjustment{Meta: meta("adj-2", src), Kind: "write_up", ClientID: "c-1", Date: day("2026-03-31"), Hours: dp("1.5")}
		},
	},
	{
		name:   "invoice line, every field, a credit",
		entity: "invoice_line",
		csv: "external_id,invoice_id,client,project,date,hours,amount,time_entry_ids\n" +
			"il-1,inv-7,c-1,pr-1,2026-03-31,-7.5,-1012.5,te-1;te-2\n",
		ndjson: `{"external_id":"il-1","invoice_id":"inv-7","client":"c-1","project":"pr-1","date":"2026-03-31","hours":-7.5,"amount":-1012.5,"time_entry_ids":["te-1","te-2"]}`,
		want: func(src string) any {
			return ingest.InvoiceLine{Meta: meta("il-1", src), InvoiceID: "inv-7", ClientID: "c-1", ProjectID: "pr-1",
				Date: day("2026-03-31"), Hours: dp("-7.5"), Amount: dv("-1012.5"), TimeEntryIDs: []string{"te-1", "te-2"}}
		},
	},
}

func TestRoundTrip(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range roundTrips {
		covered[tc.entity] = true
		inputs := []struct {
			format, input, source string
			line                  int
		}{
			{FormatCSV, tc.csv, "csv", 2},
			{FormatNDJSON, tc.ndjson + "\n", "api", 1},
			{FormatJSON, "[\n  " + tc.ndjson + "\n]\n", "api", 2},
		}
		for _, in := range inputs {
			t.Run(tc.name+"/"+in.format, func(t *testing.T) {
				rows, rowErrs, fileErr := parseAll(t, tc.entity, in.format, in.input)
				if fileErr != nil || len(rowErrs) > 0 {
					t.Fatalf("errors: %v %v", fileErr, rowErrs)
				}
				if len(rows) != 1 {
					t.Fatalf("got %d rows, want 1", len(rows))
				}
				if rows[0].Line != in.line {
					t.Errorf("Line = %d, want %d", rows[0].Line, in.line)
				}
				got, want := recJSON(t, rows[0].Record), recJSON(t, tc.want(in.source))
				if got != want {
					t.Errorf("record\n got %s\nwant %s", got, want)
				}
			})
		}
	}
	for _, e := range ingest.EntityNames() {
		if !covered[e] {
			t.Errorf("no round trip for %s", e)
		}
	}
}

// TestDecimalsExact checks that JSON numbers are read as written, not
// through float64.
func TestDecimalsExact(t *testing.T) {
	for _, lit := range []string{"0.1", "0.3", "1e1", "2.5E-1", "1.10", "-0", `"0.1"`, `"7.000000000"`} {
		input := `{"external_id":"x","person":"p","date":"2026-01-01","billable":true,"hours":` + lit + "}\n"
		rows, rowErrs, fileErr := parseAll(t, "time_entry", FormatNDJSON, input)
		if fileErr != nil || len(rowErrs) > 0 || len(rows) != 1 {
			t.Fatalf("%s: %v %v", lit, fileErr, rowErrs)
		}
		got := rows[0].Record.(ingest.TimeEntry).Hours
		want := dv(strings.Trim(lit, `"`))
		if !got.Equal(want) {
			t.Errorf("%s: hours = %s, want %s", lit, got, want)
		}
	}
	rows, _, _ := parseAll(t, "project", FormatNDJSON,
		`{"external_id":"x","name":"n","kind":"internal","budget_hours":123456789012.123456,"budget_amount":12345678901234.1234}`)
	if len(rows) != 1 {
		t.Fatal("big decimals rejected")
	}
	p := rows[0].Record.(ingest.Project)
	if p.BudgetHours.String() != "123456789012.123456" || p.BudgetAmount.String() != "12345678901234.1234" {
		t.Errorf("got %s and %s", p.BudgetHours, p.BudgetAmount)
	}
}
