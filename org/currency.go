package org

import (
	"context"
	"fmt"
	"strings"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// currencyNames maps the names and symbols seen where a code belongs.
var currencyNames = map[string]string{
	"EURO": "EUR", "EUROS": "EUR", "€": "EUR", "£": "GBP", "US$": "USD",
}

// CurrencyCode reads a currency as exports write it, "USD", "usd",
// "Euro - EUR", "United States Dollar - USD", "EURO" or "€", and returns
// its upper-case ISO 4217 code. Empty input is no currency: ("", "").
func CurrencyCode(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ""
	}
	if i := strings.LastIndex(s, " - "); i >= 0 {
		s = strings.TrimSpace(s[i+3:])
	}
	up := strings.ToUpper(s)
	if c, ok := currencyNames[up]; ok {
		return c, ""
	}
	if len(up) == 3 && isUpperASCII(up) {
		return up, ""
	}
	return "", "unknown currency (want an ISO code such as USD or EUR)"
}

func isUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// DataCurrency returns the one currency an org's clients and time entries
// name, for an org whose settings name none (an org set up by importing
// clients, or through the API). With none or several, code is "" and why
// says so in words, never a guess: a label of USD on amounts in EUR is
// worse than none.
func DataCurrency(ctx context.Context, q Querier, id string) (code, why string, err error) {
	rows, err := q.Query(ctx, store.QueryText("org_data_currencies"), store.Params{"org": id})
	if err != nil {
		return "", "", fmt.Errorf("org %s currency: %w", id, err)
	}
	var names []string
	for i := range rows.Len() {
		var c string
		if err := rows.Scan(i, &c); err != nil {
			return "", "", fmt.Errorf("org %s currency: %w", id, err)
		}
		names = append(names, c)
	}
	switch len(names) {
	case 0:
		return "", "the org's settings name none and no client or time entry names one", nil
	case 1:
		return names[0], "", nil
	}
	return "", "the org's settings name none and its data names " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1], nil
}
