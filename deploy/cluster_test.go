package deploy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"go.yaml.in/yaml/v3"

	"github.com/opsmetrics/opsmetrics/sql/clickhouse"
)

const (
	clusterProfile = "cluster"
	serverImage    = "clickhouse/clickhouse-server"
	keeperImage    = "clickhouse/clickhouse-keeper"
)

// node is a ClickHouse server of the cluster profile with what its
// config.d files say.
type node struct {
	s              *service
	shard, replica string
	file           string // the file of its macros
	remotes        map[string][][]string
	remotesFile    string
	zk             []chHost
	zkFile         string
	interserver    string
}

// checkCluster checks the cluster profile: 2 shards x 2 replicas with
// distinct macros, 3 keepers in one raft group, remote_servers naming the
// cluster the serve replicas use, every host a compose service, and the
// healthy start order keepers -> servers -> migrate -> serve -> LB ->
// Prometheus.
func checkCluster(r repo, c *compose) problems {
	var p problems
	var servers, keepers, serves, migrates, lbs, proms []*service
	for _, name := range c.names {
		s := c.services[name]
		if !s.inProfile(clusterProfile) {
			continue
		}
		switch cmd := s.command(); {
		case s.repoName() == serverImage:
			servers = append(servers, s)
		case s.repoName() == keeperImage:
			keepers = append(keepers, s)
		case s.repoName() == "haproxy":
			lbs = append(lbs, s)
		case s.repoName() == "prom/prometheus":
			proms = append(proms, s)
		case len(cmd) > 0 && cmd[0] == "serve":
			serves = append(serves, s)
		case len(cmd) > 0 && cmd[0] == "migrate":
			migrates = append(migrates, s)
		}
	}
	count := func(what string, got []*service, want int) {
		if len(got) != want {
			p.at(c.file, 0, "profile %s: %d %s (%v), want %d", clusterProfile, len(got), what, names(got), want)
		}
	}
	count("ClickHouse servers", servers, 4)
	count("ClickHouse Keeper nodes", keepers, 3)
	count("serve replicas", serves, 2)
	count("load balancers", lbs, 1)
	count("Prometheus servers", proms, 1)
	tags := map[string]bool{}
	for _, s := range append(slices.Clone(servers), keepers...) {
		tags[s.tag()] = true
	}
	if len(tags) > 1 {
		p.at(c.file, 0, "profile %s: ClickHouse servers and keepers run different versions %v: use one", clusterProfile, slices.Sorted(maps.Keys(tags)))
	}

	// Keepers: distinct server ids, one raft configuration listing all.
	keeperIDs := map[string]*service{} // server_id -> keeper
	keeperPort := map[string]string{}  // hostname -> tcp_port
	withID := map[*service]bool{}
	var raftWant string
	for _, k := range keepers {
		files := configFiles(k, "/etc/clickhouse-keeper/", ".xml")
		if len(files) == 0 {
			p.at(c.file, k.line, "service %s: mounts no keeper config under /etc/clickhouse-keeper/", k.name)
		}
		for _, m := range files {
			cfg, err := parseXML(r, m.src)
			if err != nil {
				p.at(m.src, 0, "%v", err)
				continue
			}
			if cfg.Keeper == nil {
				p.at(m.src, 1, "no <keeper_server> section")
				continue
			}
			id := cfg.Keeper.ServerID
			if other, dup := keeperIDs[id]; dup {
				p.at(m.src, xmlLine(r, m.src, "<server_id>"), "keeper_server.server_id %s is also %s's: every keeper needs its own", id, other.name)
			}
			keeperIDs[id], withID[k] = k, true
			keeperPort[k.hostname()] = cfg.Keeper.TCPPort
			var raft []string
			self := false
			for _, srv := range cfg.Keeper.Raft {
				raft = append(raft, srv.ID+"="+srv.Hostname+":"+srv.Port)
				if _, ok := c.services[srv.Hostname]; !ok {
					p.at(m.src, xmlLine(r, m.src, srv.Hostname), "raft_configuration: host %s is not a compose service", srv.Hostname)
				}
				if srv.ID == id {
					self = srv.Hostname == k.hostname() || srv.Hostname == k.name
					if !self {
						p.at(m.src, xmlLine(r, m.src, "<id>"+id+"</id>"), "raft_configuration: server %s is %s, but this file is %s's", id, srv.Hostname, k.name)
						self = true // said once
					}
				}
			}
			if !self {
				p.at(m.src, xmlLine(r, m.src, "<raft_configuration>"), "raft_configuration does not list this keeper (server_id %s)", id)
			}
			if len(cfg.Keeper.Raft) != len(keepers) {
				p.at(m.src, xmlLine(r, m.src, "<raft_configuration>"), "raft_configuration lists %d servers %v, want all %d keepers", len(cfg.Keeper.Raft), raft, len(keepers))
			}
			got := strings.Join(raft, ",")
			if raftWant == "" {
				raftWant = got
			} else if got != raftWant {
				p.at(m.src, xmlLine(r, m.src, "<raft_configuration>"), "raft_configuration %s differs from another keeper's %s", got, raftWant)
			}
		}
	}
	for _, k := range keepers {
		if !withID[k] {
			p.at(c.file, k.line, "service %s: no keeper_server.server_id found in its config", k.name)
		}
	}

	// Servers: macros, remote_servers, zookeeper.
	var nodes []*node
	for _, s := range servers {
		n := &node{s: s}
		files := configFiles(s, "/etc/clickhouse-server/", ".xml")
		for _, m := range files {
			cfg, err := parseXML(r, m.src)
			if err != nil {
				p.at(m.src, 0, "%v", err)
				continue
			}
			if cfg.Macros != nil {
				if n.file != "" || len(cfg.Macros.Shard) != 1 || len(cfg.Macros.Replica) != 1 {
					p.at(m.src, xmlLine(r, m.src, "<macros>"), "service %s: want exactly one shard and one replica macro", s.name)
				}
				if len(cfg.Macros.Shard) > 0 && len(cfg.Macros.Replica) > 0 {
					n.shard, n.replica, n.file = cfg.Macros.Shard[0], cfg.Macros.Replica[0], m.src
				}
			}
			if cfg.InterserverHost != "" {
				n.interserver = cfg.InterserverHost
			}
			if cfg.RemoteServers != nil {
				n.remotes, n.remotesFile = map[string][][]string{}, m.src
				for _, cl := range cfg.RemoteServers.Clusters {
					var shards [][]string
					for _, sh := range cl.Shards {
						var hosts []string
						for _, rep := range sh.Replicas {
							hosts = append(hosts, rep.Host+":"+rep.Port)
						}
						shards = append(shards, hosts)
					}
					n.remotes[cl.XMLName.Local] = shards
				}
			}
			if cfg.Zookeeper != nil {
				n.zk, n.zkFile = cfg.Zookeeper.Nodes, m.src
			}
		}
		if n.file == "" {
			p.at(c.file, s.line, "service %s: none of its config.d files sets <macros> shard and replica", s.name)
		}
		if n.remotes == nil {
			p.at(c.file, s.line, "service %s: none of its config.d files sets <remote_servers>", s.name)
		}
		if len(n.zk) == 0 {
			p.at(c.file, s.line, "service %s: none of its config.d files sets <zookeeper> nodes", s.name)
		}
		if n.interserver != "" && n.interserver != s.hostname() {
			p.at(c.file, s.line, "service %s: interserver_http_host %s is not its hostname %s: replicas could not fetch its parts", s.name, n.interserver, s.hostname())
		}
		nodes = append(nodes, n)
	}
	byPair := map[string]*node{}
	perShard := map[string][]string{}
	for _, n := range nodes {
		if n.file == "" {
			continue
		}
		pair := n.shard + "/" + n.replica
		if other, dup := byPair[pair]; dup {
			p.at(n.file, xmlLine(r, n.file, "<replica>"), "macros (shard %s, replica %s) are also %s's: each node needs its own", n.shard, n.replica, other.s.name)
		}
		byPair[pair] = n
		perShard[n.shard] = append(perShard[n.shard], n.s.name)
	}
	if len(nodes) == 4 {
		for shard, members := range sortedMap(perShard) {
			if len(members) != 2 || len(perShard) != 2 {
				f := byPair[shard+"/"+c.services[members[len(members)-1]].hostname()]
				file, line := c.file, 0
				if f != nil {
					file, line = f.file, xmlLine(r, f.file, "<shard>")
				}
				p.at(file, line, "macros: shard %s has replicas %v, and the shards are %d: want 2 shards of 2 replicas", shard, members, len(perShard))
			}
		}
	}

	// remote_servers: the same on every node; one cluster, named as serve's
	// --clickhouse-cluster; its hosts are the servers, grouped as the macros.
	var clusterName, remotesWant string
	for _, n := range nodes {
		if n.remotes == nil {
			continue
		}
		got := fmt.Sprint(n.remotes)
		if remotesWant == "" {
			remotesWant = got
		} else if got != remotesWant {
			p.at(n.remotesFile, xmlLine(r, n.remotesFile, "<remote_servers"), "service %s: remote_servers %s differ from another node's %s", n.s.name, got, remotesWant)
		}
		if len(n.remotes) != 1 {
			p.at(n.remotesFile, xmlLine(r, n.remotesFile, "<remote_servers"), "remote_servers defines clusters %v, want one", slices.Sorted(maps.Keys(n.remotes)))
		}
		for name, shards := range sortedMap(n.remotes) {
			clusterName = name
			seen := map[string]bool{}
			for i, hosts := range shards {
				macroShard := map[string]bool{}
				for _, hp := range hosts {
					host, port, _ := splitHostPort(hp)
					seen[host] = true
					tn := nodeOf(nodes, host)
					switch {
					case c.services[host] == nil:
						p.at(n.remotesFile, xmlLine(r, n.remotesFile, "<host>"+host+"</host>"), "remote_servers.%s shard %d: host %s is not a compose service", name, i+1, host)
					case tn == nil:
						p.at(n.remotesFile, xmlLine(r, n.remotesFile, "<host>"+host+"</host>"), "remote_servers.%s shard %d: host %s is not a ClickHouse server of the profile", name, i+1, host)
					default:
						macroShard[tn.shard] = true
					}
					if port != "9000" {
						p.at(n.remotesFile, xmlLine(r, n.remotesFile, "<host>"+host+"</host>"), "remote_servers.%s shard %d: %s port %q, want the native port 9000", name, i+1, host, port)
					}
				}
				if len(macroShard) > 1 {
					p.at(n.remotesFile, xmlLine(r, n.remotesFile, "<shard>"), "remote_servers.%s shard %d holds nodes of macro shards %v: one shard's replicas share a shard macro",
						name, i+1, slices.Sorted(maps.Keys(macroShard)))
				}
			}
			for _, o := range nodes {
				if !seen[o.s.hostname()] && !seen[o.s.name] {
					p.at(n.remotesFile, xmlLine(r, n.remotesFile, "<remote_servers"), "remote_servers.%s leaves out %s", name, o.s.name)
				}
			}
		}
		break // the others were compared with this one
	}
	for _, n := range nodes {
		zkHosts := map[string]bool{}
		for _, z := range n.zk {
			zkHosts[z.Host] = true
			k := c.services[z.Host]
			switch {
			case k == nil || k.repoName() != keeperImage:
				p.at(n.zkFile, xmlLine(r, n.zkFile, z.Host), "zookeeper: node %s is not a keeper service of the compose file", z.Host)
			case keeperPort[k.hostname()] != z.Port:
				p.at(n.zkFile, xmlLine(r, n.zkFile, z.Host), "zookeeper: node %s port %s, but that keeper listens on %s", z.Host, z.Port, keeperPort[k.hostname()])
			}
		}
		for _, k := range keepers {
			if len(n.zk) > 0 && !zkHosts[k.hostname()] {
				p.at(n.zkFile, xmlLine(r, n.zkFile, "<zookeeper>"), "zookeeper: leaves out keeper %s", k.name)
			}
		}
		break // every node mounts the same file; its hosts were checked once
	}

	// serve and migrate: the cluster and a DSN whose hosts are the servers.
	for _, s := range append(slices.Clone(serves), migrates...) {
		cl, _ := s.setting("clickhouse-cluster", "OPSMETRICS_CLICKHOUSE_CLUSTER")
		if cl != clusterName {
			p.at(c.file, lineOf(s.f["command"]), "service %s: --clickhouse-cluster %q, but remote_servers defines %q", s.name, cl, clusterName)
		}
		dsn, _ := s.setting("clickhouse-dsn", "OPSMETRICS_CLICKHOUSE_DSN")
		if err := (clickhouse.Config{DSN: dsn, Cluster: cl}).Validate(); err != nil {
			p.at(c.file, lineOf(s.f["command"]), "service %s: --clickhouse-dsn: %v", s.name, err)
			continue
		}
		opts, _ := ch.ParseDSN(dsn)
		for _, addr := range opts.Addr {
			host, _, _ := splitHostPort(addr)
			if nodeOf(nodes, host) == nil {
				p.at(c.file, lineOf(s.f["command"]), "service %s: --clickhouse-dsn host %s is not a ClickHouse server of the profile", s.name, host)
			}
		}
	}

	// The healthy start order.
	needs := func(who []*service, deps []*service, cond string) {
		for _, s := range who {
			d := s.dependsOn()
			for _, dep := range deps {
				if d[dep.name] != cond {
					p.at(c.file, s.line, "service %s does not wait for %s (depends_on %s: condition %s)", s.name, dep.name, dep.name, cond)
				}
			}
		}
	}
	needs(servers, keepers, "service_healthy")
	if len(migrates) > 0 {
		needs(migrates, servers, "service_healthy")
		needs(serves, migrates, "service_completed_successfully")
	} else {
		needs(serves, servers, "service_healthy")
	}
	needs(lbs, serves, "service_healthy")
	needs(proms, lbs, "service_healthy")

	// The load balancer sends to every serve replica and to nothing else.
	for _, lb := range lbs {
		p = append(p, checkHAProxy(r, lb, serves)...)
	}
	// Prometheus scrapes every replica's /metrics.
	for _, pr := range proms {
		p = append(p, checkPromTargets(r, c, pr, serves)...)
	}
	return p
}

func nodeOf(nodes []*node, host string) *node {
	for _, n := range nodes {
		if n.s.hostname() == host || n.s.name == host {
			return n
		}
	}
	return nil
}

func names(ss []*service) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.name)
	}
	return out
}

// addrPort is the port of a listen address such as ":8080".
func addrPort(addr string) string {
	_, port, _ := splitHostPort(addr)
	return port
}

func checkHAProxy(r repo, lb *service, serves []*service) problems {
	var p problems
	file, err := mountedFile(lb, "/usr/local/etc/haproxy/haproxy.cfg")
	if err != nil {
		p.at("docker-compose.yml", lb.line, "%v", err)
		return p
	}
	b, err := r.read(file)
	if err != nil {
		p.at(file, 0, "%v", err)
		return p
	}
	want := map[string]string{} // host -> port
	for _, s := range serves {
		addr, _ := s.setting("addr", "OPSMETRICS_ADDR")
		want[s.hostname()] = addrPort(addr)
	}
	got := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "server" {
			continue
		}
		host, port, _ := splitHostPort(f[2])
		got[host] = true
		switch wp, ok := want[host]; {
		case !ok:
			p.at(file, i+1, "server %s: %s is not a serve replica of the compose file", f[1], host)
		case wp != port:
			p.at(file, i+1, "server %s: port %s, but %s serves on %s", f[1], port, host, wp)
		}
	}
	for host := range sortedMap(want) {
		if !got[host] {
			p.at(file, 0, "no server line sends to serve replica %s", host)
		}
	}
	return p
}

// promConfig is what the checks read of a Prometheus config.
type promConfig struct {
	RuleFiles []string `yaml:"rule_files"`
	Alerting  struct {
		Alertmanagers []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"alertmanagers"`
	} `yaml:"alerting"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

// promConfigFile is the repository file a Prometheus service loads (its
// --config.file, mounted from the repository).
func promConfigFile(s *service, flag, def string) (string, string, error) {
	ctrPath := def
	for _, a := range s.command() {
		if v, ok := strings.CutPrefix(a, "--"+flag+"="); ok {
			ctrPath = v
		}
	}
	file, err := mountedFile(s, ctrPath)
	return file, ctrPath, err
}

func checkPromTargets(r repo, c *compose, pr *service, serves []*service) problems {
	var p problems
	file, _, err := promConfigFile(pr, "config.file", "/etc/prometheus/prometheus.yml")
	if err != nil {
		p.at(c.file, pr.line, "%v", err)
		return p
	}
	doc, err := loadYAML(r, file)
	if err != nil {
		p.at(file, 0, "%v", err)
		return p
	}
	var cfg promConfig
	if err := doc.Decode(&cfg); err != nil {
		p.at(file, 0, "%v", err)
		return p
	}
	line := func(s string) int { return yamlLine(doc, s) }
	target := func(t string) {
		host, _, err := splitHostPort(t)
		if err != nil || c.services[host] == nil {
			p.at(file, line(t), "target %s: %s is not a compose service", t, host)
		}
	}
	for _, am := range cfg.Alerting.Alertmanagers {
		for _, sc := range am.StaticConfigs {
			for _, t := range sc.Targets {
				target(t)
				if host, _, _ := splitHostPort(t); c.services[host] != nil && c.services[host].repoName() != "prom/alertmanager" {
					p.at(file, line(t), "alertmanagers target %s is not an Alertmanager", t)
				}
			}
		}
	}
	want := map[string]bool{}
	for _, s := range serves {
		addr, _ := s.setting("metrics-addr", "OPSMETRICS_METRICS_ADDR")
		want[s.hostname()+":"+addrPort(addr)] = true
	}
	scraped := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, t := range st.Targets {
				target(t)
				if sc.JobName == "opsmetrics" {
					scraped[t] = true
				}
			}
		}
	}
	for t := range sortedMap(want) {
		if !scraped[t] {
			p.at(file, line("job_name"), "job opsmetrics does not scrape serve replica %s", t)
		}
	}
	return p
}

// yamlLine is the line of the first scalar in doc whose value is s.
func yamlLine(doc *yaml.Node, s string) int {
	var walk func(n *yaml.Node) int
	walk = func(n *yaml.Node) int {
		if n == nil {
			return 0
		}
		if n.Kind == yaml.ScalarNode && n.Value == s {
			return n.Line
		}
		for _, ch := range n.Content {
			if l := walk(ch); l > 0 {
				return l
			}
		}
		return 0
	}
	return walk(doc)
}
