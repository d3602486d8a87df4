package org

import "testing"

func TestCurrencyCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Euro - EUR", "EUR"},
		{"United States Dollar - USD", "USD"},
		{"British Pound - GBP", "GBP"},
		{"USD", "USD"},
		{"usd", "USD"},
		{"EURO", "EUR"},
		{"Euro", "EUR"},
		{"€", "EUR"},
		{"", ""},
		{"  ", ""},
		{"Dollar", "!"},
		{"US", "!"},
		{"Euro - E1R", "!"},
	} {
		got, why := CurrencyCode(tc.in)
		if tc.want == "!" {
			if why == "" {
				t.Errorf("CurrencyCode(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if why != "" || got != tc.want {
			t.Errorf("CurrencyCode(%q) = %q, %q; want %q", tc.in, got, why, tc.want)
		}
	}
}
