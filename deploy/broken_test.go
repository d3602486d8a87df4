package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Each check fails on a broken input: an edited copy of a real file (the
// first occurrence of old becomes new) must give a problem containing want.
func TestChecksCatchBrokenInputs(t *testing.T) {
	promtool, amtool := tool(t, "promtool", "prometheus"), tool(t, "amtool", "prometheus-alertmanager")
	haproxy := tool(t, "haproxy", "haproxy")
	for _, tc := range []struct {
		name, file, old, new, want string
	}{
		{"mounted file missing", "docker-compose.yml", "./deploy/cluster/keeper-2.xml", "./deploy/cluster/keeper-9.xml",
			"docker-compose.yml:166: service keeper-2: volumes: deploy/cluster/keeper-9.xml (mounted at /etc/clickhouse-keeper/keeper_config.xml) does not exist"},
		{"misspelt key", "docker-compose.yml", "    hostname: keeper-1\n", "    hostnme: keeper-1\n",
			"services.keeper-1.hostnme false schema"},
		{"dependency on no service", "docker-compose.yml", "cluster-migrate: { condition: service_completed_successfully }",
			"cluster-migrat: { condition: service_completed_successfully }", "depends on undefined service"},
		{"image without tag", "docker-compose.yml", "haproxy:3.2.24-alpine", "haproxy", `image "haproxy" has no tag`},
		{"image latest", "docker-compose.yml", "prom/alertmanager:v0.34.0", "prom/alertmanager:latest", `image "prom/alertmanager:latest" floats (latest)`},
		{"Prometheus on every address", "docker-compose.yml", `"127.0.0.1:9091:9090"`, `"9091:9090"`,
			"service cluster-prometheus: ports: Prometheus (container port 9090) is published on every address"},
		{"/metrics on every address", "docker-compose.yml", `"127.0.0.1:9465:9464"`, `"0.0.0.0:9465:9464"`,
			"service opsmetrics-2: ports: /metrics (container port 9464) is published on 0.0.0.0"},
		{"healthy wait on a service without healthcheck", "docker-compose.yml",
			"cluster-lb: { condition: service_healthy }", "cluster-migrate: { condition: service_healthy }",
			"service cluster-prometheus: depends_on: cluster-migrate: condition service_healthy, but cluster-migrate has no healthcheck"},
		{"start order: servers before keepers", "docker-compose.yml", "    keeper-3: { condition: service_healthy }\n", "",
			"service ch-s1-r1 does not wait for keeper-3"},
		{"serve on another cluster", "docker-compose.yml", `"--clickhouse-cluster", "opsmetrics"]`, `"--clickhouse-cluster", "other"]`,
			`service opsmetrics-1: --clickhouse-cluster "other", but remote_servers defines "opsmetrics"`},
		{"serve DSN to a host that is no server", "docker-compose.yml", "ch-s2-r2:9000/default\",\n    \"--clickhouse-cluster\"", "ch-s9:9000/default\",\n    \"--clickhouse-cluster\"",
			"service opsmetrics-1: --clickhouse-dsn host ch-s9 is not a ClickHouse server of the profile"},
		{"three replicas in shard 1", "deploy/cluster/macros-ch-s2-r2.xml", "<shard>2</shard>", "<shard>1</shard>",
			"deploy/cluster/macros-ch-s2-r2.xml:7: macros: shard 1 has replicas [ch-s1-r1 ch-s1-r2 ch-s2-r2], and the shards are 2: want 2 shards of 2 replicas"},
		{"two nodes with the same macros", "deploy/cluster/macros-ch-s1-r2.xml", "<replica>ch-s1-r2</replica>", "<replica>ch-s1-r1</replica>",
			"deploy/cluster/macros-ch-s1-r2.xml:8: macros (shard 1, replica ch-s1-r1) are also ch-s1-r1's"},
		{"interserver host of another node", "deploy/cluster/macros-ch-s2-r1.xml", "<interserver_http_host>ch-s2-r1<", "<interserver_http_host>ch-s2-r2<",
			"interserver_http_host ch-s2-r2 is not its hostname ch-s2-r1"},
		{"keepers with one server id", "deploy/cluster/keeper-3.xml", "<server_id>3</server_id>", "<server_id>2</server_id>",
			"deploy/cluster/keeper-3.xml:14: keeper_server.server_id 2 is also keeper-2's"},
		{"raft without keeper 3", "deploy/cluster/keeper-1.xml", "<server><id>3</id><hostname>keeper-3</hostname><port>9234</port></server>", "",
			"raft_configuration lists 2 servers"},
		{"remote_servers host unknown", "deploy/cluster/clickhouse-cluster.xml", "<host>ch-s2-r2</host>", "<host>ch-s2-r3</host>",
			"remote_servers.opsmetrics shard 2: host ch-s2-r3 is not a compose service"},
		{"remote_servers mixes shards", "deploy/cluster/clickhouse-cluster.xml", "<host>ch-s1-r2</host>", "<host>ch-s2-r2</host>",
			"remote_servers.opsmetrics shard 1 holds nodes of macro shards [1 2]"},
		{"XML tags that do not match", "deploy/cluster/clickhouse-cluster.xml", "<opsmetrics>", "<ops>",
			"not valid XML"},
		{"zookeeper host unknown", "deploy/cluster/clickhouse-cluster.xml", "<host>keeper-3</host>", "<host>keeper-4</host>",
			"zookeeper: node keeper-4 is not a keeper service"},
		{"prometheus target unknown", "deploy/cluster/prometheus.yml", `"opsmetrics-2:9464"`, `"opsmetrics-3:9464"`,
			"target opsmetrics-3:9464: opsmetrics-3 is not a compose service"},
		{"prometheus misses a replica", "deploy/cluster/prometheus.yml", `, "opsmetrics-2:9464"`, ``,
			"job opsmetrics does not scrape serve replica opsmetrics-2:9464"},
		{"load balancer to an unknown host", "deploy/cluster/haproxy.cfg", "opsmetrics-2:8080", "opsmetrics-9:8080",
			"deploy/cluster/haproxy.cfg:35: server opsmetrics-2: opsmetrics-9 is not a serve replica"},
		{"load balancer config haproxy refuses", "deploy/cluster/haproxy.cfg", "balance roundrobin", "balance round-robin",
			"haproxy -c -f deploy/cluster/haproxy.cfg"},
		{"rule file not where the container has it", "deploy/cluster/prometheus.yml", "  - rules.yml", "  - alerts.yml",
			"promtool check config deploy/cluster/prometheus.yml"},
		{"Alertmanager route to no receiver", "deploy/alertmanager/alertmanager.yml", "receiver: webhook", "receiver: nobody",
			"amtool check-config deploy/alertmanager/alertmanager.yml"},
		{"workflow action unpinned", workflowFile, "actions/checkout@v4", "actions/checkout@main",
			`uses "actions/checkout@main" is not pinned`},
		{"workflow without the floor", workflowFile, `"24.8.14.39", `, `"25.3.14.14", `,
			"has no 24.8 release (the floor)"},
		{"workflow on a floating tag", workflowFile, `"26.8.19.9"]`, `"26.8"]`,
			`matrix.clickhouse "26.8" is not a full release version`},
		{"workflow server-mode variable misspelt", workflowFile, "OPSMETRICS_TEST_CLICKHOUSE_DSN:", "OPSMETRICS_TEST_DSN:",
			"env does not set OPSMETRICS_TEST_CLICKHOUSE_DSN"},
		{"workflow server image fixed", workflowFile, "clickhouse/clickhouse-server:${{ matrix.clickhouse }}", "clickhouse/clickhouse-server:latest",
			`services.clickhouse.image "clickhouse/clickhouse-server:latest"`},
		{"workflow packages in parallel", workflowFile, "go test -count=1 -p 1 -timeout 20m ./metrics", "go test -count=1 -timeout 20m ./metrics",
			"add -p 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(real.root, filepath.FromSlash(tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tc.old) {
				t.Fatalf("%s no longer holds %q: update this case", tc.file, tc.old)
			}
			r := repo{root: real.root, overrides: map[string]string{tc.file: strings.Replace(string(b), tc.old, tc.new, 1)}}
			var got problems
			if tc.file == "docker-compose.yml" {
				if _, err := composeLoad(t.Context(), t.TempDir(), r, clusterProfile); err != nil {
					got = append(got, err.Error())
				}
			}
			c, err := loadCompose(r)
			if err != nil {
				got = append(got, err.Error())
			} else {
				got = append(got, checkCompose(r, c)...)
				got = append(got, checkCluster(r, c)...)
				got = append(got, checkWorkflow(r, c)...)
				for _, name := range c.names {
					s := c.services[name]
					if !slices.ContainsFunc(s.mounts(), func(m mount) bool { return m.src == tc.file }) {
						continue // the checker runs where the edited file is loaded
					}
					var err error
					switch s.repoName() {
					case "prom/prometheus":
						err = promtoolCheck(t, r, s, promtool)
					case "prom/alertmanager":
						err = amtoolCheck(t, r, s, amtool)
					case "haproxy":
						err = haproxyCheck(t, r, s, haproxy)
					}
					if err != nil {
						got = append(got, err.Error())
					}
				}
			}
			for _, g := range got {
				if strings.Contains(g, tc.want) {
					t.Logf("caught: %s", g)
					return
				}
			}
			t.Errorf("no problem contains %q; got:\n%s", tc.want, strings.Join(got, "\n"))
		})
	}
}
