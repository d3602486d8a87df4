package demo

import (
	"time"
)

// Days are ints counted from the first day of history (day 0). Dates are UTC
// midnights; times of day are Unix seconds.

const daySeconds = 24 * 60 * 60

// date is the UTC midnight y-m-d; out-of-range parts normalise as in time.Date.
func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// weekdayBit maps a time.Weekday to the Person.Workdays bit (bit 0 = Monday).
func weekdayBit(wd time.Weekday) uint8 {
	return 1 << ((int(wd) + 6) % 7)
}

// holiday is one day off on a calendar.
type holiday struct {
	date time.Time
	name string
}

// holidaysOf returns the public holidays of one year on calendar cal, as an
// agency in that country observes them.
func holidaysOf(cal string, year int) []holiday {
	switch cal {
	case "GB":
		return gbHolidays(year)
	case "DE":
		return deHolidays(year)
	default:
		return usHolidays(year)
	}
}

// usHolidays are the US federal holidays most agencies give, plus the day
// after Thanksgiving; a Saturday holiday is observed on Friday, a Sunday one on Monday.
func usHolidays(y int) []holiday {
	observed := func(t time.Time) time.Time {
		switch t.Weekday() {
		case time.Saturday:
			return t.AddDate(0, 0, -1)
		case time.Sunday:
			return t.AddDate(0, 0, 1)
		}
		return t
	}
	thanksgiving := nthWeekday(y, time.November, time.Thursday, 4)
	return []holiday{
		{observed(date(y, time.January, 1)), "New Year's Day"},
		{nthWeekday(y, time.January, time.Monday, 3), "Martin Luther King Jr. Day"},
		{nthWeekday(y, time.February, time.Monday, 3), "Presidents' Day"},
		{lastWeekday(y, time.May, time.Monday), "Memorial Day"},
		{observed(date(y, time.June, 19)), "Juneteenth"},
		{observed(date(y, time.July, 4)), "Independence Day"},
		{nthWeekday(y, time.September, time.Monday, 1), "Labor Day"},
		{thanksgiving, "Thanksgiving Day"},
		{thanksgiving.AddDate(0, 0, 1), "Day after Thanksgiving"},
		{observed(date(y, time.December, 25)), "Christmas Day"},
	}
}

// gbHolidays are the bank holidays of England and Wales, with substitute
// days; one-off royal holidays are left out.
func gbHolidays(y int) []holiday {
	easter := easterSunday(y)
	newYear := date(y, time.January, 1)
	for newYear.Weekday() == time.Saturday || newYear.Weekday() == time.Sunday {
		newYear = newYear.AddDate(0, 0, 1)
	}
	christmas, boxing := date(y, time.December, 25), date(y, time.December, 26)
	switch christmas.Weekday() {
	case time.Friday: // Boxing Day on Saturday moves to Monday
		boxing = date(y, time.December, 28)
	case time.Saturday:
		christmas, boxing = date(y, time.December, 27), date(y, time.December, 28)
	case time.Sunday:
		christmas = date(y, time.December, 27)
	}
	return []holiday{
		{newYear, "New Year's Day"},
		{easter.AddDate(0, 0, -2), "Good Friday"},
		{easter.AddDate(0, 0, 1), "Easter Monday"},
		{nthWeekday(y, time.May, time.Monday, 1), "Early May bank holiday"},
		{lastWeekday(y, time.May, time.Monday), "Spring bank holiday"},
		{lastWeekday(y, time.August, time.Monday), "Summer bank holiday"},
		{christmas, "Christmas Day"},
		{boxing, "Boxing Day"},
	}
}

// deHolidays are the public holidays in Berlin. German holidays that fall on
// a weekend are not moved.
func deHolidays(y int) []holiday {
	easter := easterSunday(y)
	return []holiday{
		{date(y, time.January, 1), "New Year's Day"},
		{date(y, time.March, 8), "International Women's Day"},
		{easter.AddDate(0, 0, -2), "Good Friday"},
		{easter.AddDate(0, 0, 1), "Easter Monday"},
		{date(y, time.May, 1), "Labour Day"},
		{easter.AddDate(0, 0, 39), "Ascension Day"},
		{easter.AddDate(0, 0, 50), "Whit Monday"},
		{date(y, time.October, 3), "German Unity Day"},
		{date(y, time.December, 25), "Christmas Day"},
		{date(y, time.December, 26), "Second Day of Christmas"},
	}
}

// nthWeekday is the n-th (1-based) weekday wd of a month.
func nthWeekday(y int, m time.Month, wd time.Weekday, n int) time.Time {
	first := date(y, m, 1)
	shift := (int(wd) - int(first.Weekday()) + 7) % 7
	return first.AddDate(0, 0, shift+7*(n-1))
}

// lastWeekday is the last weekday wd of a month.
func lastWeekday(y int, m time.Month, wd time.Weekday) time.Time {
	last := date(y, m+1, 0)
	shift := (int(last.Weekday()) - int(wd) + 7) % 7
	return last.AddDate(0, 0, -shift)
}

// easterSunday uses the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
func easterSunday(y int) time.Time {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return date(y, time.Month(month), day)
}
