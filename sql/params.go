package sql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
)

// placeholderRE finds ClickHouse typed placeholders: {name:Type}.
var placeholderRE = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+)\}`)

// Placeholders returns the declared type of every {name:Type} placeholder in
// query, by name. The map is shared: callers must not change it. A query's
// placeholders are found once (the texts are the embedded query files, and
// scanning the longest took a tenth of a millisecond a read).
func Placeholders(query string) map[string]string {
	if m, ok := placeholders.Load(query); ok {
		return m.(map[string]string)
	}
	out := map[string]string{}
	for _, m := range placeholderRE.FindAllStringSubmatch(query, -1) {
		out[m[1]] = strings.TrimSpace(m[2])
	}
	if placeholdersKept.Add(1) <= maxPlaceholdersKept {
		placeholders.Store(query, out)
	}
	return out
}

// placeholders remembers Placeholders' answers, for at most
// maxPlaceholdersKept texts (ad hoc statements are not kept past it).
var (
	placeholders     sync.Map
	placeholdersKept atomic.Int64
)

const maxPlaceholdersKept = 4096

// BindParams formats params for the placeholders of query, as the text values
// both engines bind. Every placeholder needs a value and every value a
// placeholder, so a typo fails loudly instead of binding nothing.
func BindParams(query string, params Params) (map[string]string, error) {
	decl := Placeholders(query)
	out := make(map[string]string, len(params))
	for name, typ := range decl {
		v, ok := params[name]
		if !ok {
			return nil, &Error{Kind: ErrBadParam, Message: fmt.Sprintf("no value for placeholder {%s:%s}", name, typ)}
		}
		s, err := FormatParam(v, typ)
		if err != nil {
			return nil, &Error{Kind: ErrBadParam, Message: fmt.Sprintf("placeholder {%s:%s}: %v", name, typ, err)}
		}
		out[name] = s
	}
	for name := range params {
		if _, ok := decl[name]; !ok {
			return nil, &Error{Kind: ErrBadParam, Message: fmt.Sprintf("value for %q, which the query has no placeholder for", name)}
		}
	}
	return out, nil
}

// FormatParam writes v as the text ClickHouse parses for a placeholder of the
// given type. The text is read in ClickHouse's escaped format, so backslashes,
// tabs and newlines in strings are escaped; nothing else needs quoting because
// the value never becomes SQL.
func FormatParam(v any, typ string) (string, error) {
	t, err := parseType(typ)
	if err != nil {
		return "", err
	}
	return formatParam(v, t)
}

func formatParam(v any, t *chType) (string, error) {
	if t.kind == kNullable {
		if v == nil {
			return `\N`, nil
		}
		return formatParam(v, t.elem)
	}
	switch x := v.(type) {
	case nil:
		return "", fmt.Errorf("NULL for non-nullable type %s", t.name)
	case string:
		if t.kind == kIdentifier {
			return x, nil // the engine quotes it as an identifier; it never becomes SQL text
		}
		return escapeText(x), nil
	case time.Time:
		x = x.UTC()
		switch t.kind {
		case kDate, kDate32:
			return x.Format(time.DateOnly), nil
		case kDateTime:
			return x.Format(time.DateTime), nil
		case kDateTime64:
			return x.Format("2006-01-02 15:04:05.999999999"), nil
		case kString:
			return x.Format(time.RFC3339Nano), nil
		}
		return "", fmt.Errorf("cannot bind a time to %s", t.name)
	case decimal.Decimal:
		return x.String(), nil
	case bool:
		if t.kind == kBool {
			return strconv.FormatBool(x), nil
		}
		if x {
			return "1", nil
		}
		return "0", nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case []string:
		if t.kind != kArray {
			return "", fmt.Errorf("cannot bind a list to %s", t.name)
		}
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = quote(s)
		}
		// An array is read as its quoted literal; only the elements are escaped.
		return "[" + strings.Join(parts, ",") + "]", nil
	}
	return "", fmt.Errorf("cannot bind %T", v)
}

// escapeText escapes s for ClickHouse's escaped (TabSeparated) text reader.
func escapeText(s string) string {
	if !strings.ContainsAny(s, "\\\t\n\r\x00") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`, "\x00", `\0`).Replace(s)
}

// quote writes s as a single-quoted ClickHouse literal (inside array values).
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\t", `\t`, "\n", `\n`, "\r", `\r`, "\x00", `\0`).Replace(s) + "'"
}
