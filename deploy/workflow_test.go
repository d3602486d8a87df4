package deploy

import (
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/opsmetrics/opsmetrics/sql/clickhouse"
	"github.com/opsmetrics/opsmetrics/sql/storetest"
)

const workflowFile = ".github/workflows/ci.yml"

var (
	// usesRE is a pinned action: owner/name@vN (a major version tag) or a commit.
	usesRE = regexp.MustCompile(`^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$`)
	// fullVersionRE is a ClickHouse release: 24.8.14.39.
	fullVersionRE = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

// checkWorkflow checks the GitHub Actions workflow: a job that runs
// `make test` on ubuntu-latest; a server job whose matrix runs the floor
// (24.8) and the compose file's LTS as service containers with a health
// check, sets the server-mode variable the tests read and runs the
// conformance suite and the KPI tests one package at a time; every action
// pinned, checkout@v4 and setup-go@v5 reading go.mod.
func checkWorkflow(r repo, c *compose) problems {
	var p problems
	doc, err := loadYAML(r, workflowFile)
	if err != nil {
		p.at(workflowFile, 0, "%v", err)
		return p
	}
	jobs := fields(fields(doc)["jobs"])
	jobLines := keyLines(fields(doc)["jobs"])
	at := func(n *yaml.Node, fallback string, format string, args ...any) {
		l := lineOf(n)
		if l == 0 {
			l = jobLines[fallback]
		}
		p.at(workflowFile, l, format, args...)
	}

	uses := map[string]*yaml.Node{} // action -> its with
	var runs []string
	for name, job := range sortedMap(jobs) {
		for _, st := range deref(fields(job)["steps"]).Content {
			f := fields(st)
			if u := scalar(f["uses"]); u != "" {
				if !usesRE.MatchString(u) {
					at(f["uses"], name, "job %s: uses %q is not pinned to a version (owner/name@vN)", name, u)
				}
				action, _, _ := strings.Cut(u, "@")
				if uses[action] == nil {
					uses[action] = f["with"]
				}
				uses[u] = f["with"]
			}
			if run := scalar(f["run"]); run != "" {
				runs = append(runs, name+": "+run)
			}
		}
	}
	for _, want := range []string{"actions/checkout@v4", "actions/setup-go@v5"} {
		if _, ok := uses[want]; !ok {
			p.at(workflowFile, 0, "no step uses %s", want)
		}
	}
	if w, ok := uses["actions/setup-go@v5"]; ok && scalar(fields(w)["go-version-file"]) != "go.mod" {
		at(w, "", "actions/setup-go: with.go-version-file %q, want go.mod", scalar(fields(w)["go-version-file"]))
	}

	test := fields(jobs["test"])
	if len(test) == 0 {
		p.at(workflowFile, 0, "no job test (make test)")
	} else {
		if ro := scalar(test["runs-on"]); ro != "ubuntu-latest" {
			at(test["runs-on"], "test", "job test: runs-on %q, want ubuntu-latest", ro)
		}
		if !slices.ContainsFunc(runs, func(s string) bool { return strings.HasPrefix(s, "test: ") && strings.Contains(s, "make test") }) {
			at(nil, "test", "job test: no step runs make test")
		}
	}

	server := fields(jobs["server"])
	if len(server) == 0 {
		p.at(workflowFile, 0, "no job server (the server-mode tests)")
		return p
	}
	matrix := fields(fields(server["strategy"])["matrix"])
	versions := strs(matrix["clickhouse"])
	var floor, lts bool
	ltsTag := ""
	for _, name := range c.names {
		if s := c.services[name]; s.repoName() == serverImage && s.inProfile(clusterProfile) {
			ltsTag = s.tag()
		}
	}
	for _, v := range versions {
		if !fullVersionRE.MatchString(v) {
			at(matrix["clickhouse"], "server", "job server: matrix.clickhouse %q is not a full release version (such as 24.8.14.39)", v)
		}
		floor = floor || strings.HasPrefix(v, clickhouse.DefaultMinServerVersion+".")
		lts = lts || v == ltsTag
	}
	if !floor {
		at(matrix["clickhouse"], "server", "job server: matrix.clickhouse %v has no %s release (the floor)", versions, clickhouse.DefaultMinServerVersion)
	}
	if !lts {
		at(matrix["clickhouse"], "server", "job server: matrix.clickhouse %v lacks %s, the LTS docker-compose.yml runs", versions, ltsTag)
	}
	svc := fields(fields(server["services"])["clickhouse"])
	if img := scalar(svc["image"]); img != serverImage+":${{ matrix.clickhouse }}" {
		at(svc["image"], "server", "job server: services.clickhouse.image %q, want %s:${{ matrix.clickhouse }}", img, serverImage)
	}
	if len(strs(svc["ports"])) == 0 || !slices.Contains(strs(svc["ports"]), "9000:9000") {
		at(svc["ports"], "server", "job server: services.clickhouse.ports %v does not publish the native port 9000:9000", strs(svc["ports"]))
	}
	if opts := scalar(svc["options"]); !strings.Contains(opts, "--health-cmd") {
		at(svc["options"], "server", "job server: services.clickhouse.options %q has no --health-cmd: the steps could start before the server answers", opts)
	}
	env := fields(server["env"])
	dsn := scalar(env[storetest.EnvDSN])
	if dsn == "" {
		at(server["env"], "server", "job server: env does not set %s, the variable the server-mode tests read", storetest.EnvDSN)
	} else if err := (clickhouse.Config{DSN: dsn}).Validate(); err != nil {
		at(env[storetest.EnvDSN], "server", "job server: env.%s: %v", storetest.EnvDSN, err)
	}
	var conformance, kpi bool
	for _, run := range runs {
		if !strings.HasPrefix(run, "server: ") || !strings.Contains(run, "go test") {
			continue
		}
		if !strings.Contains(run, "-p 1") {
			at(nil, "server", "job server: %q runs packages in parallel: add -p 1 (each package drops ops)", strings.TrimPrefix(run, "server: "))
		}
		conformance = conformance || (strings.Contains(run, "./sql/clickhouse") && strings.Contains(run, "TestConformance"))
		kpi = kpi || strings.Contains(run, "./metrics")
	}
	if !conformance {
		at(nil, "server", "job server: no step runs TestConformance of ./sql/clickhouse")
	}
	if !kpi {
		at(nil, "server", "job server: no step runs the KPI tests (./metrics)")
	}
	return p
}
