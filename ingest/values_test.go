package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/org"
)

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" expects an error
		known    byte   // the locale already learned (0: nothing yet)
	}{
		{in: "1.5", want: "1.5"},
		{in: "1,5", want: "1.5"},
		{in: "2.000,0", want: "2000"},
		{in: "1,234.50", want: "1234.5"},
		{in: "-0.25", want: "-0.25"},
		{in: "+3", want: "3"},
		{in: "−2,5", want: "-2.5"},
		{in: "42", want: "42"},
		{in: "  7.0 ", want: "7"},
		{in: ".5", want: "0.5"},
		{in: ",75", want: "0.75"},
		{in: "0,250", want: "0.25"},    // a zero integer part cannot be a thousands group
		{in: "0.250", want: "0.25"},    // likewise
		{in: "1.2345", want: "1.2345"}, // four decimals: decimal point
		{in: "1,2345", want: "1.2345"},
		{in: "1,234,567", want: "1234567"},
		{in: "1.234.567", want: "1234567"},
		{in: "1.234.567,89", want: "1234567.89"},
		{in: "1 234,5", want: "1234.5"},
		{in: "1\u00a0234,50", want: "1234.5"},
		{in: "1'234.50", want: "1234.5"},
		{in: "12345678901234567890.5", want: "12345678901234567890.5"}, // beyond uint64
		{in: "1844674407370955161.5", want: "1844674407370955161.5"},   // uint64 max, beyond int64
		{in: "-10000000000000000000", want: "-10000000000000000000"},
		// Ambiguous: one separator, three digits after it.
		{in: "1,500", want: "1500"},
		{in: "1.500", want: "1.5"},
		{in: "1,500", known: ',', want: "1.5"},
		{in: "1.500", known: ',', want: "1500"},
		{in: "1,500", known: '.', want: "1500"},
		// Not numbers.
		{in: ""},
		{in: "-"},
		{in: "abc"},
		{in: "1.5h"},
		{in: "1e3"},
		{in: "NaN"},
		{in: "1,2,3"}, // commas grouping, but not groups of three
		{in: "1.2.3"},
		{in: "1,23,456.00"}, // Indian grouping is not supported
		{in: "12345,678.9"}, // first group too long
		{in: "1.5.5,0"},
		{in: "1,5,0.0"},
		{in: "1,234.5.6"},
		{in: "1.234,5 6"},
		{in: "$12"},
	} {
		l := NumberLocale{dec: tc.known}
		got, why := l.ParseDecimal(tc.in)
		if tc.want == "" {
			if why == "" {
				t.Errorf("ParseDecimal(%q) = %s, want an error", tc.in, got)
			}
			continue
		}
		if why != "" {
			t.Errorf("ParseDecimal(%q): %s", tc.in, why)
			continue
		}
		if !got.Equal(decimal.RequireFromString(tc.want)) {
			t.Errorf("ParseDecimal(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestNumberLocaleLearns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		want   []string
		dec    byte
	}{
		{"comma file", []string{"1.500", "2.000,0", "1.500", "1,500"}, []string{"1.5", "2000", "1500", "1.5"}, ','},
		{"point file", []string{"1,500", "1.25", "1,500", "1.500"}, []string{"1500", "1.25", "1500", "1.5"}, '.'},
		{"grouping teaches", []string{"1.000.000", "1.500"}, []string{"1000000", "1500"}, ','},
		{"first evidence wins", []string{"1,5", "1.25", "2,500"}, []string{"1.5", "1.25", "2.5"}, ','},
		{"nothing to learn", []string{"1", "20", "1,500"}, []string{"1", "20", "1500"}, 0},
		{"not from bad numbers", []string{"1.2.3", "1.500"}, []string{"", "1.5"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l NumberLocale
			for i, v := range tc.values {
				got, why := l.ParseDecimal(v)
				if tc.want[i] == "" {
					if why == "" {
						t.Errorf("value %d %q = %s, want an error", i, v, got)
					}
					continue
				}
				if why != "" || !got.Equal(decimal.RequireFromString(tc.want[i])) {
					t.Errorf("value %d %q = %s (%s), want %s", i, v, got, why, tc.want[i])
				}
			}
			if l.Decimal() != tc.dec {
				t.Errorf("learned %q, want %q", l.Decimal(), tc.dec)
			}
		})
	}
}

func TestParseHours(t *testing.T) {
	for _, tc := range []struct{ in, want, why string }{
		{in: "1.5", want: "1.5"},
		{in: "1,5", want: "1.5"},
		{in: "0", want: "0"},
		{in: "-0", want: "0"},
		{in: "24", want: "24"},
		{in: "24.00", want: "24"},
		{in: "1:30", want: "1.5"},
		{in: "1:30:00", want: "1.5"},
		{in: "01:30:00", want: "1.5"},
		{in: "0:20:00", want: "0.333333"},
		{in: "0:40:00", want: "0.666667"},
		{in: "0:00:01", want: "0.000278"},
		{in: "10:00:00", want: "10"},
		{in: "24:00:00", want: "24"},
		{in: "24.01", why: ReasonTooManyHours},
		{in: "25", why: ReasonTooManyHours},
		{in: "2.000,0", why: ReasonTooManyHours},
		{in: "24:00:01", why: ReasonTooManyHours},
		{in: "123456789012345678901234", why: ReasonTooManyHours},
		{in: "-1", why: ReasonNegativeHours},
		{in: "-0.25", why: ReasonNegativeHours},
		{in: "-0:15:00", why: ReasonNegativeHours},
		{in: "1:5", why: "not a duration (want H:MM:SS or H:MM)"},
		{in: "1:60:00", why: "not a duration (want H:MM:SS or H:MM)"},
		{in: "1:00:60", why: "not a duration (want H:MM:SS or H:MM)"},
		{in: ":30", why: "not a duration (want H:MM:SS or H:MM)"},
		{in: "abc", why: "not a number"},
		{in: "", why: "empty; want a number"},
	} {
		var l NumberLocale
		got, why := l.ParseHours(tc.in)
		if why != tc.why {
			t.Errorf("ParseHours(%q) reason %q, want %q", tc.in, why, tc.why)
			continue
		}
		if tc.why == "" && !got.Equal(decimal.RequireFromString(tc.want)) {
			t.Errorf("ParseHours(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestCheckHours(t *testing.T) {
	for in, want := range map[string]string{"0": "", "24": "", "24.000001": ReasonTooManyHours, "-0.1": ReasonNegativeHours} {
		if got := CheckHours(decimal.RequireFromString(in)); got != want {
			t.Errorf("CheckHours(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestParseFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
		ok   bool
	}{
		{"Yes", true, true}, {"No", false, true}, {"YES", true, true}, {" no ", false, true},
		{"true", true, true}, {"False", false, true}, {"1", true, true}, {"0", false, true},
		{"Ja", true, true}, {"Nein", false, true}, {"Oui", true, true}, {"Non", false, true},
		{"Sí", true, true}, {"Si", true, true}, {"Sim", true, true}, {"Não", false, true},
		{"はい", true, true}, {"いいえ", false, true}, {"Да", true, true}, {"Нет", false, true},
		{"Tak", true, true}, {"Nie", false, true}, {"Kyllä", true, true}, {"Ei", false, true},
		{"是", true, true}, {"否", false, true}, {"예", true, true}, {"아니요", false, true},
		{"", false, false}, {"maybe", false, false}, {"2", false, false}, {"yess", false, false},
	} {
		got, why := ParseFlag(tc.in)
		if (why == "") != tc.ok || got != tc.want {
			t.Errorf("ParseFlag(%q) = %v, %q; want %v, ok=%v", tc.in, got, why, tc.want, tc.ok)
		}
	}
}

func TestParseClock(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64 // -1: error
	}{
		{"10:00", 10 * 3600},
		{"14:05:09", 14*3600 + 5*60 + 9},
		{"00:00:00", 0},
		{"23:59:59", 86399},
		{"9:05", 9*3600 + 5*60},
		{"02:44:33 PM", 14*3600 + 44*60 + 33},
		{"10:23 AM", 10*3600 + 23*60},
		{"12:00 AM", 0},
		{"12:30:00 AM", 30 * 60},
		{"12:00 PM", 12 * 3600},
		{"11:59 pm", 23*3600 + 59*60},
		{"2:44pm", 14*3600 + 44*60},
		{"2:44 p.m.", 14*3600 + 44*60},
		{"24:00", -1},
		{"13:00 PM", -1},
		{"0:30 AM", -1},
		{"10", -1},
		{"10:0", -1},
		{"10:00:00:00", -1},
		{"AM", -1},
		{"", -1},
		{"10:00 XM", -1},
	} {
		got, why := ParseClock(tc.in)
		if tc.want < 0 {
			if why == "" {
				t.Errorf("ParseClock(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if why != "" || got != tc.want {
			t.Errorf("ParseClock(%q) = %d, %q; want %d", tc.in, got, why, tc.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	d := func(y, m, dd int) string {
		return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	for _, tc := range []struct {
		in, order, want string // want "" expects an error, "?" the date-order error
	}{
		{"2026-04-30", "", d(2026, 4, 30)},
		{"2026-4-3", "", d(2026, 4, 3)},
		{"2026/04/30", "", d(2026, 4, 30)},
		{"2026.04.30", "", d(2026, 4, 30)},
		{"30.04.2026", "", d(2026, 4, 30)},
		{"18.08.2026", "mdy", d(2026, 8, 18)}, // dotted is always day first
		{"30.04.2026.", "", d(2026, 4, 30)},
		{"04/30/2026", "", d(2026, 4, 30)},   // settled by the 30
		{"30/04/2026", "", d(2026, 4, 30)},   // likewise
		{"04/05/2026", "", "?"},              // ambiguous
		{"04/05/2026", "mdy", d(2026, 4, 5)}, // told
		{"04/05/2026", "dmy", d(2026, 5, 4)},
		{"22/06/2026", "dmy", d(2026, 6, 22)},
		{"30-04-2026", "", d(2026, 4, 30)},
		{"04-05-2026", "dmy", d(2026, 5, 4)},
		{"2/29/2028", "mdy", d(2028, 2, 29)},
		{"04/30/2026", "dmy", ""}, // told wrong: month 30
		{"2/29/2026", "mdy", ""},  // no such day
		{"2026-13-01", "", ""},
		{"2026-02-30", "", ""},
		{"2026-00-10", "", ""},
		{"2026-01-00", "", ""},
		{"30/30/2026", "", ""},
		{"04/05/26", "mdy", ""}, // two-digit years are not accepted
		{"2026-04", "", ""},
		{"April 30, 2026", "", ""},
		{"", "", ""},
		{"2026-04-30T10:00:00Z", "", ""},
		{"04/05/2026", "ymd", ""},
	} {
		got, why := ParseDate(tc.in, tc.order)
		switch tc.want {
		case "":
			if why == "" {
				t.Errorf("ParseDate(%q, %q) = %s, want an error", tc.in, tc.order, got)
			}
		case "?":
			if why != ReasonDateOrder {
				t.Errorf("ParseDate(%q, %q) reason %q, want %q", tc.in, tc.order, why, ReasonDateOrder)
			}
		default:
			if why != "" || got.Format(time.DateOnly) != tc.want || got.Location() != time.UTC || got.Hour() != 0 {
				t.Errorf("ParseDate(%q, %q) = %s, %q; want %s UTC midnight", tc.in, tc.order, got, why, tc.want)
			}
		}
	}
}

func TestDateOrderOf(t *testing.T) {
	for _, tc := range []struct {
		in, order string
		needs     bool
	}{
		{"04/30/2026", DateOrderMDY, true},
		{"30/04/2026", DateOrderDMY, true},
		{"04/05/2026", "", true},
		{"30-04-2026", DateOrderDMY, true},
		{"18.08.2026", "", false},
		{"2026-04-30", "", false},
		{"garbage", "", false},
		{"30/30/2026", "", true},
	} {
		order, needs := DateOrderOf(tc.in)
		if order != tc.order || needs != tc.needs {
			t.Errorf("DateOrderOf(%q) = %q, %v; want %q, %v", tc.in, order, needs, tc.order, tc.needs)
		}
	}
}

func TestCheckDate(t *testing.T) {
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d  time.Time
		ok bool
	}{
		{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2027, 11, 26, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2027, 11, 27, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC), true},
	} {
		if got := CheckDate(tc.d, now); (got == "") != tc.ok {
			t.Errorf("CheckDate(%s) = %q, want ok=%v", tc.d.Format(time.DateOnly), got, tc.ok)
		}
	}
}

func TestSplitTags(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"design":                "design",
		"design, client-facing": "design|client-facing",
		" a , b ,, c ":          "a|b|c",
		"a,b, c":                "a,b|c",
		"会議, 社内":                "会議|社内",
	} {
		if got := strings.Join(SplitTags(in), "|"); got != want {
			t.Errorf("SplitTags(%q) = %q, want %q", in, got, want)
		}
	}
	if SplitTags(" ,  , ") != nil {
		t.Error("SplitTags of only separators should be nil")
	}
}

func TestSecondsToHours(t *testing.T) {
	for secs, want := range map[int64]string{0: "0", 3600: "1", 5400: "1.5", 1: "0.000278", 1200: "0.333333", -5400: "-1.5"} {
		if got := SecondsToHours(secs); !got.Equal(decimal.RequireFromString(want)) {
			t.Errorf("SecondsToHours(%d) = %s, want %s", secs, got, want)
		}
	}
}

func BenchmarkParseDecimal(b *testing.B) {
	var l NumberLocale
	in := []string{"1.5", "2.000,0", "150.0", "0.25", "1,234.50"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, why := l.ParseDecimal(in[i%len(in)]); why != "" {
			b.Fatal(why)
		}
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"1.5", "1,5", "2.000,0", "1,234.50", "-0.25", "1 234,5", "1'000", "−3", "99999999999999999999.99"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, comma bool) {
		l := NumberLocale{}
		if comma {
			l.dec = ','
		}
		d, why := l.ParseDecimal(s)
		if why != "" {
			return
		}
		// What parsed reads back the same in plain notation.
		back, why := ParseDecimal(d.String())
		if why != "" || !back.Equal(d) {
			t.Fatalf("ParseDecimal(%q) = %s, which reads back as %s (%s)", s, d, back, why)
		}
		h, why := l.ParseHours(s)
		if why == "" && (h.Sign() < 0 || h.GreaterThan(decimal.NewFromInt(24))) {
			t.Fatalf("ParseHours(%q) = %s out of range", s, h)
		}
	})
}

// FuzzScanPlain holds scan's fast path to what the full reading makes of
// the same value, learning included.
func FuzzScanPlain(f *testing.F) {
	for _, s := range []string{"0", "175", "8.25", "1.500", "0.500", "00.500", "1.5000", ".5", "5.", ".", "", "1.2.3",
		"184467440737095516159", "1152921504606846975.5", "12,5", "1 234"} {
		for _, dec := range []byte{0, '.', ','} {
			f.Add(s, dec)
		}
	}
	f.Fuzz(func(t *testing.T, s string, dec byte) {
		fast, full := NumberLocale{dec: dec}, NumberLocale{dec: dec}
		n, ok := fast.scanPlain(s, number{})
		if !ok {
			return
		}
		want, why := full.scanSeparators(s, number{})
		if why != "" || n != want || fast.dec != full.dec {
			t.Fatalf("%q with %q: fast %+v learned %q, full %+v %q learned %q", s, dec, n, fast.dec, want, why, full.dec)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1:30:00", "01:30:00", "0:00:00", "24:00:00", "1:30", "-1:00:00", "999999999:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, why := ParseDuration(s)
		if why == "" && (h.Sign() < 0 || h.GreaterThan(decimal.NewFromInt(24))) {
			t.Fatalf("ParseDuration(%q) = %s out of range", s, h)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-04-30", "04/30/2026", "30/04/2026", "30.04.2026", "04/05/2026", "2026/4/3", "1.1.1"} {
		f.Add(s, "")
		f.Add(s, "mdy")
		f.Add(s, "dmy")
	}
	f.Fuzz(func(t *testing.T, s, order string) {
		d, why := ParseDate(s, order)
		if why == "" && (d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 || d.Nanosecond() != 0) {
			t.Fatalf("ParseDate(%q) = %s, not UTC midnight", s, d)
		}
		DateOrderOf(s)
	})
}

func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"10:00", "14:05:09", "02:44:33 PM", "10:23 AM", "12:00 am", "2:44 p.m."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		secs, why := ParseClock(s)
		if why == "" && (secs < 0 || secs >= 24*3600) {
			t.Fatalf("ParseClock(%q) = %d out of range", s, secs)
		}
		ParseFlag(s)
		org.CurrencyCode(s)
	})
}

// TestMoneyReason: export rates and amounts must fit Decimal(18, 4), the
// money columns, or their row is rejected with the file's column.
func TestMoneyReason(t *testing.T) {
	for s, want := range map[string]string{
		"150":                     "",
		"99999999999999.9999":     "", // 14 digits before the point, 4 after: the largest
		"-99999999999999":         "", // a credit on a billed amount
		"100000000000000":         "too large: at most 14 digits before the decimal point",
		"123456789012345":         "too large: at most 14 digits before the decimal point",
		"12.34560000":             "", // trailing zeros do not count
		"12.34567":                "more than 4 decimals",
		"1.000,12345":             "more than 4 decimals",
		"123456789012345678901.5": "too large: at most 14 digits before the decimal point", // past uint64
		"1.00000000000000000001":  "more than 4 decimals",
	} {
		var l NumberLocale
		n, why := l.scan(s)
		if why != "" {
			t.Fatalf("scan(%q): %s", s, why)
		}
		if got := n.moneyReason(); got != want {
			t.Errorf("moneyReason(%q) = %q, want %q", s, got, want)
		}
	}
}
