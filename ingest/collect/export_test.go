package collect

import "testing"

// SetBlocks makes a test's syncs check blocks of block records and read
// tombstones in pages of gone, until the test ends, so that a few records
// cross block and page boundaries. Tests that call it must not run in
// parallel.
func SetBlocks(t testing.TB, block, gone int) {
	oldBlock, oldGone := blockRows, goneRows
	blockRows, goneRows = block, gone
	t.Cleanup(func() { blockRows, goneRows = oldBlock, oldGone })
}
