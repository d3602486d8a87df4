package sql

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Kinds of store errors. Engines wrap every ClickHouse exception in an *Error
// whose Kind is one of these, so callers test with errors.Is(err, sql.ErrAuth)
// and the HTTP layer maps kinds to statuses in one place.
var (
	ErrAuth         = errors.New("authentication failed")
	ErrUnavailable  = errors.New("database unavailable")
	ErrTooOld       = errors.New("clickhouse server too old")
	ErrLocked       = errors.New("data directory in use")
	ErrNoLibrary    = errors.New("libchdb not installed")
	ErrSyntax       = errors.New("sql syntax error")
	ErrUnknownTable = errors.New("unknown table or database")
	ErrBadParam     = errors.New("bad query parameter")
	ErrBadData      = errors.New("bad data")
	ErrTimeout      = errors.New("query timed out")
	ErrMemory       = errors.New("query memory limit exceeded")
	ErrQuery        = errors.New("query failed")
)

// Error is a classified engine error. Message is the engine's own text: log it,
// never show it to an API client.
type Error struct {
	Kind    error
	Code    int // ClickHouse exception code, 0 when the error did not come from ClickHouse
	Message string
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("%v (code %d): %s", e.Kind, e.Code, e.Message)
	}
	return fmt.Sprintf("%v: %s", e.Kind, e.Message)
}

// Is makes errors.Is(err, ErrAuth) true for an *Error of that kind.
func (e *Error) Is(target error) bool { return e.Kind == target }

// Unwrap returns the kind.
func (e *Error) Unwrap() error { return e.Kind }

// kindByCode maps ClickHouse exception codes (ErrorCodes.cpp) to kinds.
var kindByCode = map[int]error{
	192: ErrAuth, // UNKNOWN_USER
	193: ErrAuth, // WRONG_PASSWORD
	194: ErrAuth, // REQUIRED_PASSWORD
	516: ErrAuth, // AUTHENTICATION_FAILED
	62:  ErrSyntax,
	47:  ErrSyntax, // UNKNOWN_IDENTIFIER
	46:  ErrSyntax, // UNKNOWN_FUNCTION
	60:  ErrUnknownTable,
	81:  ErrUnknownTable, // UNKNOWN_DATABASE
	456: ErrBadParam,     // UNKNOWN_QUERY_PARAMETER
	457: ErrBadParam,     // BAD_QUERY_PARAMETER
	6:   ErrBadData,      // CANNOT_PARSE_TEXT
	26:  ErrBadData,      // CANNOT_PARSE_QUOTED_STRING
	27:  ErrBadData,      // CANNOT_PARSE_INPUT_ASSERTION_FAILED
	38:  ErrBadData,      // CANNOT_PARSE_DATE
	41:  ErrBadData,      // CANNOT_PARSE_DATETIME
	53:  ErrBadData,      // TYPE_MISMATCH
	69:  ErrBadData,      // ARGUMENT_OUT_OF_BOUND
	70:  ErrBadData,      // CANNOT_CONVERT_TYPE
	72:  ErrBadData,      // CANNOT_PARSE_NUMBER
	159: ErrTimeout,      // TIMEOUT_EXCEEDED
	394: ErrTimeout,      // QUERY_WAS_CANCELLED
	241: ErrMemory,       // MEMORY_LIMIT_EXCEEDED
	210: ErrUnavailable,  // NETWORK_ERROR
	209: ErrUnavailable,  // SOCKET_TIMEOUT
}

// Classify wraps a ClickHouse exception code and message in an *Error.
func Classify(code int, message string) *Error {
	kind, ok := kindByCode[code]
	if !ok {
		kind = ErrQuery
	}
	return &Error{Kind: kind, Code: code, Message: message}
}

var codeRE = regexp.MustCompile(`Code: (\d+)`)

// ClassifyText classifies an exception given only as text, as chDB reports it
// ("Code: 60. DB::Exception: Unknown table ... (UNKNOWN_TABLE)").
func ClassifyText(message string) *Error {
	message = strings.TrimSpace(message)
	code := 0
	if m := codeRE.FindStringSubmatch(message); m != nil {
		code, _ = strconv.Atoi(m[1])
	}
	return Classify(code, message)
}
