package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/opsmetrics/opsmetrics/org"
)

// When the monthly reports' drafts are prepared (issue 18, scheduled
// delivery): on the first workday of a month, in the org's time zone and
// with its workdays, a draft of last month's report for every client. The
// scheduler (app) and the /reports page's "Prepare drafts now" both go
// through PrepareDrafts, so preparing is the same wherever it starts.

// FirstWorkday is the first day of month (any day of it; the result is UTC
// midnight, a calendar day) that is one of workdays (org.Settings.Workdays:
// bit 0 Monday … bit 6 Sunday; 0 stands for Monday to Friday).
func FirstWorkday(month time.Time, workdays uint8) time.Time {
	if workdays&0x7f == 0 {
		workdays = org.DefaultWorkdays
	}
	d := MonthStart(month)
	for range 7 {
		if workdays&(1<<((int(d.Weekday())+6)%7)) != 0 {
			return d
		}
		d = d.AddDate(0, 0, 1)
	}
	return MonthStart(month) // unreachable: a week holds every weekday
}

// DraftsDue reports which month's drafts an org with settings s should
// have at now: last month's, from its first workday of this month on (in
// its time zone) to the month's end; due is false before that day. A day
// missed (no server ran) is caught up on any later day of the month.
func DraftsDue(now time.Time, s org.Settings) (month time.Time, due bool) {
	s = s.WithDefaults()
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		loc = time.UTC // checked when written; only a hand-edited store has a bad one
	}
	today := Today(now.In(loc))
	if today.Before(FirstWorkday(today, s.Workdays)) {
		return time.Time{}, false
	}
	return MonthStart(today).AddDate(0, -1, 0), true
}

// PrepareDrafts writes a draft (status DraftPrepared, prepared at now) of
// org's report of month for every client of the org that has none (but
// the internal ones: ReportSettings.Internal), and
// returns how many it wrote. A draft already prepared or sent is never
// written again, so a second call, or a second server finding the drafts
// there, writes nothing. The rows' version is now, read before the drafts
// are: a draft sent while this call runs has a later version and stays
// sent. Errors are the store's, naming the org and month.
func PrepareDrafts(ctx context.Context, s RecordStore, orgID string, month, now time.Time) (int, error) {
	month = MonthStart(month)
	now = now.UTC().Truncate(time.Millisecond)
	clients, err := LoadReportSettings(ctx, s, orgID, "")
	if err != nil {
		return 0, fmt.Errorf("prepare drafts of %s for org %s: %w", month.Format("2006-01"), orgID, err)
	}
	have, err := ListDrafts(ctx, s, orgID, month)
	if err != nil {
		return 0, fmt.Errorf("prepare drafts of %s for org %s: %w", month.Format("2006-01"), orgID, err)
	}
	done := make(map[string]bool, len(have))
	for _, d := range have {
		done[d.Client] = true
	}
	n := 0
	for _, c := range clients {
		if done[c.Client] || c.Internal {
			continue
		}
		d := Draft{Client: c.Client, Month: month, Status: DraftPrepared, PreparedAt: now}
		if err := WriteDraft(ctx, s, orgID, d, now); err != nil {
			return n, fmt.Errorf("prepare the draft of client %s, %s, for org %s: %w", c.Client, month.Format("2006-01"), orgID, err)
		}
		n++
	}
	return n, nil
}
