package metrics_test

import (
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
)

func workdays(t *testing.T, s string) uint8 {
	t.Helper()
	m, reason := org.ParseWorkdays(s)
	if reason != "" {
		t.Fatalf("workdays %q: %s", s, reason)
	}
	return m
}

// TestFirstWorkday: the month's first day that is one of the org's
// workdays. The weekdays: 2026-01-01 Thu, 2026-02-01 Sun, 2026-05-01 Fri,
// 2026-08-01 Sat, 2026-12-01 Tue.
func TestFirstWorkday(t *testing.T) {
	for _, tc := range []struct {
		name, month, days, want string
	}{
		{"starts on a workday", "2026-01-15", "mon-fri", "2026-01-01"},
		{"starts on a Saturday: Monday the 3rd", "2026-08-01", "mon-fri", "2026-08-03"},
		{"starts on a Sunday: Monday the 2nd", "2026-02-28", "mon-fri", "2026-02-02"},
		{"the default workdays (mask 0) are Monday to Friday", "2026-08-20", "", "2026-08-03"},
		{"Sun-Thu, starts on a Saturday: Sunday the 2nd", "2026-08-01", "sun,mon-thu", "2026-08-02"},
		{"Sun-Thu, starts on a Friday: Sunday the 3rd", "2026-05-01", "sun,mon-thu", "2026-05-03"},
		{"Sun-Thu, starts on a Sunday", "2026-02-01", "sun,mon-thu", "2026-02-01"},
		{"Tuesdays only", "2026-12-31", "tue", "2026-12-01"},
		{"weekends only, starts on a Tuesday: Saturday the 5th", "2026-12-01", "sat,sun", "2026-12-05"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mask uint8
			if tc.days != "" {
				mask = workdays(t, tc.days)
			}
			if got := metrics.FirstWorkday(d(tc.month), mask); !got.Equal(d(tc.want)) {
				t.Errorf("FirstWorkday(%s, %s) = %s, want %s", tc.month, tc.days, got.Format(time.DateOnly), tc.want)
			}
		})
	}
}

// TestDraftsDue: last month's drafts are due from the org's first workday
// of this month, in its time zone, to the month's end.
func TestDraftsDue(t *testing.T) {
	at := func(s string) time.Time { return must(time.Parse(time.RFC3339, s)) }
	for _, tc := range []struct {
		name, now, tz, days, want string // want "" for not due
	}{
		{"Saturday the 1st: not yet", "2026-08-01T10:00:00Z", "UTC", "mon-fri", ""},
		{"Sunday the 2nd: not yet", "2026-08-02T23:59:00Z", "UTC", "mon-fri", ""},
		{"Monday the 3rd: July's", "2026-08-03T00:00:00Z", "UTC", "mon-fri", "2026-07-01"},
		{"caught up later in the month", "2026-08-27T15:00:00Z", "UTC", "mon-fri", "2026-07-01"},
		{"Sun-Thu org: Sunday the 2nd", "2026-08-02T06:00:00Z", "Asia/Dubai", "sun,mon-thu", "2026-07-01"},
		// 2026-12-01 Tue 00:30 in Berlin is still 30 Nov 23:30 UTC.
		{"the org's zone, not UTC: already the 1st in Berlin", "2026-11-30T23:30:00Z", "Europe/Berlin", "mon-fri", "2026-11-01"},
		// 2026-12-01 Tue 02:00 UTC is still 30 Nov 18:00 in Los Angeles (PST,
		// UTC-8): November's drafts wait; October's are (still) due.
		{"the org's zone, not UTC: still November in LA", "2026-12-01T02:00:00Z", "America/Los_Angeles", "mon-fri", "2026-10-01"},
		{"January: December of last year", "2027-01-01T09:00:00Z", "UTC", "mon-fri", "2026-12-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := org.New("o")
			s.TimeZone, s.Workdays = tc.tz, workdays(t, tc.days)
			month, due := metrics.DraftsDue(at(tc.now), s)
			switch {
			case tc.want == "" && due:
				t.Errorf("due at %s (%s): %s, want not due", tc.now, tc.tz, month.Format("2006-01"))
			case tc.want != "" && (!due || !month.Equal(d(tc.want))):
				t.Errorf("at %s (%s): %s due %v, want %s", tc.now, tc.tz, month.Format("2006-01"), due, tc.want)
			}
		})
	}
}

// TestPrepareDrafts: a draft for every client without one; a draft
// already prepared or sent is left as it is, and a second call writes
// nothing.
func TestPrepareDrafts(t *testing.T) {
	const o = "drafts-prepare"
	s := testStore(t)
	ctx := t.Context()
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: o, Source: "test", ExternalID: id} }
	write(t, []ingest.Client{{Meta: meta("c1"), Name: "Acme"}, {Meta: meta("c2"), Name: "Globex"}, {Meta: meta("c3"), Name: "Initech"}})
	month := d("2026-02-01")
	sentAt := testNow.Add(-time.Hour).Truncate(time.Millisecond)
	if err := metrics.WriteDraft(ctx, s, o, metrics.Draft{Client: "c2", Month: month, Status: metrics.DraftSent, PreparedAt: sentAt,
		SentAt: &sentAt, SentBy: "ann@example.com", SentTo: []string{"cfo@globex.example"}}, sentAt); err != nil {
		t.Fatal(err)
	}
	n, err := metrics.PrepareDrafts(ctx, s, o, d("2026-02-17"), testNow)
	if err != nil || n != 2 {
		t.Fatalf("prepared %d (%v), want 2: c1 and c3, c2 is sent", n, err)
	}
	if n, err := metrics.PrepareDrafts(ctx, s, o, month, testNow.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("a second time: prepared %d (%v), want 0", n, err)
	}
	drafts, err := metrics.ListDrafts(ctx, s, o, month)
	if err != nil || len(drafts) != 3 {
		t.Fatalf("drafts %+v %v", drafts, err)
	}
	for _, x := range drafts {
		want, at := metrics.DraftPrepared, testNow
		if x.Client == "c2" {
			want, at = metrics.DraftSent, sentAt
		}
		if x.Status != want || !x.PreparedAt.Equal(at) {
			t.Errorf("%s (%s): %s prepared %s, want %s prepared %s", x.Client, x.ClientName, x.Status, x.PreparedAt, want, at)
		}
	}
	if other, err := metrics.ListDrafts(ctx, s, o, d("2026-03-01")); err != nil || len(other) != 0 {
		t.Errorf("March: %+v %v, want none", other, err)
	}
}
