package dashboards

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// The embedded ECharts is the pinned npm build (assets/README.md), with its
// licence and notice.
func TestEmbeddedECharts(t *testing.T) {
	js, err := assetFS.ReadFile("assets/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(js)
	if got := hex.EncodeToString(sum[:]); got != "1156429a16a38cb8604dcc6518c19406d4226142d908f8edd2e3531443c54d19" {
		t.Errorf("assets/echarts.min.js has SHA-256 %s, not the pinned echarts@5.4.3 build", got)
	}
	for _, f := range []string{"assets/echarts-LICENSE", "assets/echarts-NOTICE"} {
		if b, err := assetFS.ReadFile(f); err != nil || len(b) == 0 {
			t.Errorf("%s missing from the embedded assets", f)
		}
	}
}
