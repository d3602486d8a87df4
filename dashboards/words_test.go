package dashboards

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// developerWord is a snake_case name (due_date_changed, billing_status):
// what a column or an event is called in code, not what people say.
var developerWord = regexp.MustCompile(`\b[a-z]+_[a-z_]+\b`)

// TestNoDeveloperWords: the pages' text says "due-date changes", not
// "due_date_changed task events". Only what people type (inside <code>)
// and the templates' own actions may hold such names.
func TestNoDeveloperWords(t *testing.T) {
	strip := regexp.MustCompile(`(?s)<code>.*?</code>|\{\{.*?\}\}|<[^>]*>`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(strip.ReplaceAllString(string(b), " "), "\n") {
			if w := developerWord.FindString(line); w != "" {
				t.Errorf("%s: %q in %q", path, w, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The empty states and notes built in Go.
	texts := []string{approvalsMissing, deliveryMissing, marginMissing}
	for _, tile := range overviewTiles {
		texts = append(texts, tile.missing)
	}
	for _, c := range []Chart{mustChart(buildFirstPass(tNames, nil)), mustChart(buildWaiting(tNames, nil, "now", 48)),
		mustChart(buildWriteOffs(View{}, nil, "USD")), mustChart(buildWIP(tNames, nil, "USD")), mustChart(buildOverage(View{}, nil, nil))} {
		texts = append(texts, c.Empty)
	}
	for _, s := range texts {
		if w := developerWord.FindString(strings.ReplaceAll(s, "docs/import.md", "")); w != "" {
			t.Errorf("%q in %q", w, s)
		}
	}
}

func mustChart(c Chart, err error) Chart {
	if err != nil {
		panic(err)
	}
	return c
}
