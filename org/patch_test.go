package org

import (
	"errors"
	"strings"
	"testing"
)

func TestPatch(t *testing.T) {
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	txt := func(s string) *Text { t := Text(s); return &t }
	o := New("acme")
	if got := o.Show(); got != (Shown{ID: "acme", Name: "acme", TimeZone: "UTC", Workdays: "mon,tue,wed,thu,fri",
		BusinessHours: "09:00-17:00", OverheadPerHour: "0", StuckReviewHours: 48}) {
		t.Fatalf("defaults %+v", got)
	}
	ok := Patch{Name: str(" Acme Creative "), TimeZone: str("America/New_York"), Currency: str("United States Dollar - USD"),
		Workdays: str("Sun-Thu"), BusinessHours: str("7:30 - 24:00"), GraceDays: num(60), OverheadPerHour: txt("12.5000"),
		StuckReviewHours: num(24)}
	// Sun-Thu is a range that runs backwards: Sunday is day 6.
	if err := ok.Apply(&o); err == nil || !strings.Contains(err.Error(), `workdays "Sun-Thu"`) {
		t.Fatalf("Sun-Thu: %v", err)
	}
	ok.Workdays = str("sun,mon;tue wed\tthu")
	if err := ok.Apply(&o); err != nil {
		t.Fatal(err)
	}
	want := Shown{ID: "acme", Name: "Acme Creative", TimeZone: "America/New_York", Currency: "USD", Workdays: "mon,tue,wed,thu,sun",
		BusinessHours: "07:30-24:00", GraceDays: 60, OverheadPerHour: "12.5", StuckReviewHours: 24}
	if got := o.Show(); got != want {
		t.Errorf("applied %+v, want %+v", got, want)
	}
	before := o
	for p, field := range map[*Patch]string{
		{Name: str("\x07bell")}:                   `name "\abell"`,
		{TimeZone: str("Local")}:                  `time_zone "Local"`,
		{TimeZone: str("")}:                       `time_zone ""`,
		{Currency: str("")}:                       `currency ""`,
		{Currency: str("galleons")}:               `currency "galleons"`,
		{Workdays: str("")}:                       `workdays ""`,
		{BusinessHours: str("17:00-09:00")}:       `business_hours "17:00-09:00"`,
		{BusinessHours: str("09:00-24:30")}:       `business_hours "09:00-24:30"`,
		{BusinessHours: str("09:00")}:             `business_hours "09:00"`,
		{GraceDays: num(61)}:                      `grace_days "61"`,
		{OverheadPerHour: txt("1e3")}:             `overhead_per_hour "1e3"`,
		{OverheadPerHour: txt("0.00001")}:         "more than 4 decimals",
		{OverheadPerHour: txt("100000000000000")}: "too large",
		{Name: str("ok"), GraceDays: num(-1)}:     `grace_days "-1"`, // nothing of a bad patch applies
	} {
		err := p.Apply(&o)
		if !errors.Is(err, ErrBadSetting) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
	}
	if o != before {
		t.Errorf("a rejected patch changed the org: %+v", o.Show())
	}
}
