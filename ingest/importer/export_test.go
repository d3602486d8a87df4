package importer

// SetWindowRows makes an export's windows of stored entries aim at n entries
// until the returned function puts the default back.
func SetWindowRows(n int64) (restore func()) {
	old := windowRows
	windowRows = n
	return func() { windowRows = old }
}
