package chdb

import "context"

// RunFormat runs a query and returns its raw output in the given format, so
// benchmarks can compare output formats.
func (s *Store) RunFormat(ctx context.Context, query, format string) ([]byte, error) {
	return s.run(ctx, query, nil, format)
}
