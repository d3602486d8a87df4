package collect

import (
	"encoding/json"
	"testing"
)

// TestClockifyDuration: the detailed report's seconds and the API v1's
// ISO 8601 durations (docs.clockify.me: "duration": "PT1H30M") read alike.
func TestClockifyDuration(t *testing.T) {
	for _, tc := range []struct {
		in    string
		secs  int64
		valid bool
		bad   bool
	}{
		{`5400`, 5400, true, false},
		{`5400.4`, 5400, true, false},
		{`"PT1H30M"`, 5400, true, false},
		{`"PT2H54M"`, 10440, true, false},
		{`"PT45S"`, 45, true, false},
		{`"PT0S"`, 0, true, false},
		{`"P1DT2H"`, 93600, true, false},
		{`"PT1.5S"`, 2, true, false},
		{`null`, 0, false, false},
		{`"PT"`, 0, false, true},
		{`"1:30"`, 0, false, true},
	} {
		var d clockifyDuration
		err := json.Unmarshal([]byte(tc.in), &d)
		if (err != nil) != tc.bad || d.secs != tc.secs || d.valid != tc.valid {
			t.Errorf("%s: %d %v %v, want %d %v (error %v)", tc.in, d.secs, d.valid, err, tc.secs, tc.valid, tc.bad)
		}
	}
}
