package deploy

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// repo reads the repository's files, with overrides: the broken-input tests
// check edited copies of the real files without touching them.
type repo struct {
	root      string
	overrides map[string]string // repo-relative path -> content
}

func (r repo) read(rel string) ([]byte, error) {
	rel = path.Clean(rel)
	if s, ok := r.overrides[rel]; ok {
		return []byte(s), nil
	}
	return os.ReadFile(filepath.Join(r.root, filepath.FromSlash(rel)))
}

func (r repo) exists(rel string) bool {
	if _, ok := r.overrides[path.Clean(rel)]; ok {
		return true
	}
	_, err := os.Stat(filepath.Join(r.root, filepath.FromSlash(rel)))
	return err == nil
}

// problems collects what the checks find, each as "file:line: what".
type problems []string

func (p *problems) at(file string, line int, format string, args ...any) {
	*p = append(*p, fmt.Sprintf("%s:%d: %s", file, line, fmt.Sprintf(format, args...)))
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// deref follows aliases and documents to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && (n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return nil
		}
	}
	return n
}

// fields are a mapping's keys and values, with merge keys (<<: *anchor)
// resolved as Compose resolves them: the mapping's own keys win.
func fields(n *yaml.Node) map[string]*yaml.Node {
	n = deref(n)
	out := map[string]*yaml.Node{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], deref(n.Content[i+1]); k.Value == "<<" {
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, src := range srcs {
				for k2, v2 := range fields(src) {
					out[k2] = v2
				}
			}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Value != "<<" {
			out[k.Value] = deref(n.Content[i+1])
		}
	}
	return out
}

// keyLines are the lines of a mapping's own keys (for naming where a
// service or job starts).
func keyLines(n *yaml.Node) map[string]int {
	n = deref(n)
	out := map[string]int{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = n.Content[i].Line
	}
	return out
}

// strs is a sequence of scalars, or a scalar split on spaces (a command
// written as one string).
func strs(n *yaml.Node) []string {
	n = deref(n)
	switch {
	case n == nil:
		return nil
	case n.Kind == yaml.ScalarNode:
		return strings.Fields(n.Value)
	case n.Kind == yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			if c = deref(c); c != nil {
				out = append(out, c.Value)
			}
		}
		return out
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n = deref(n); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

func loadYAML(r repo, rel string) (*yaml.Node, error) {
	b, err := r.read(rel)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	return &doc, nil
}

// compose is docker-compose.yml as far as the checks read it.
type compose struct {
	file     string
	services map[string]*service
	names    []string // in file order
}

type service struct {
	name string
	line int
	f    map[string]*yaml.Node
}

// mount is a bind mount of a repository file or folder.
type mount struct {
	src, dst string // src relative to the repository
	line     int
}

func loadCompose(r repo) (*compose, error) {
	const file = "docker-compose.yml"
	doc, err := loadYAML(r, file)
	if err != nil {
		return nil, err
	}
	top := fields(doc)
	c := &compose{file: file, services: map[string]*service{}}
	lines := keyLines(top["services"])
	n := deref(top["services"])
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: no services", file)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name := n.Content[i].Value
		c.services[name] = &service{name: name, line: lines[name], f: fields(n.Content[i+1])}
		c.names = append(c.names, name)
	}
	return c, nil
}

func (s *service) image() string { return scalar(s.f["image"]) }

// repoName is the image without its tag or digest.
func (s *service) repoName() string {
	img := s.image()
	img, _, _ = strings.Cut(img, "@")
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		img = img[:i]
	}
	return img
}

func (s *service) tag() string {
	img, _, _ := strings.Cut(s.image(), "@")
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		return img[i+1:]
	}
	return ""
}

func (s *service) inProfile(p string) bool { return slices.Contains(strs(s.f["profiles"]), p) }

func (s *service) hostname() string {
	if h := scalar(s.f["hostname"]); h != "" {
		return h
	}
	return s.name
}

func (s *service) command() []string { return strs(s.f["command"]) }

func (s *service) env() map[string]string {
	out := map[string]string{}
	n := deref(s.f["environment"])
	if n == nil {
		return out
	}
	if n.Kind == yaml.SequenceNode {
		for _, kv := range strs(n) {
			k, v, _ := strings.Cut(kv, "=")
			out[k] = v
		}
		return out
	}
	for k, v := range fields(n) {
		out[k] = scalar(v)
	}
	return out
}

// setting is a command flag (--name value or --name=value) or else the
// environment variable that stands for it.
func (s *service) setting(flag, envVar string) (string, bool) {
	args := s.command()
	for i, a := range args {
		if a == "--"+flag && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, "--"+flag+"="); ok {
			return v, true
		}
	}
	v, ok := s.env()[envVar]
	return v, ok && v != ""
}

func (s *service) mounts() []mount {
	var out []mount
	n := deref(s.f["volumes"])
	if n == nil {
		return nil
	}
	for _, v := range n.Content {
		v = deref(v)
		var src, dst string
		if v.Kind == yaml.ScalarNode {
			parts := strings.Split(v.Value, ":")
			if len(parts) < 2 {
				continue // an anonymous volume
			}
			src, dst = parts[0], parts[1]
		} else {
			f := fields(v)
			if scalar(f["type"]) != "bind" {
				continue
			}
			src, dst = scalar(f["source"]), scalar(f["target"])
		}
		if !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
			continue // a named volume
		}
		out = append(out, mount{src: path.Clean(src), dst: dst, line: v.Line})
	}
	return out
}

// dependsOn maps each dependency to its condition (service_started when
// written as a list).
func (s *service) dependsOn() map[string]string {
	out := map[string]string{}
	n := deref(s.f["depends_on"])
	if n == nil {
		return out
	}
	if n.Kind == yaml.SequenceNode {
		for _, d := range strs(n) {
			out[d] = "service_started"
		}
		return out
	}
	for d, v := range fields(n) {
		out[d] = scalar(fields(v)["condition"])
		if out[d] == "" {
			out[d] = "service_started"
		}
	}
	return out
}

func (s *service) hasHealthcheck() bool {
	h := fields(s.f["healthcheck"])
	if len(h) == 0 || scalar(h["disable"]) == "true" {
		return false
	}
	test := strs(h["test"])
	return len(test) > 0 && test[0] != "NONE"
}

// port is a published port: host address, host port and container port.
type port struct {
	ip, host, container string
	line                int
}

func (s *service) ports() []port {
	var out []port
	n := deref(s.f["ports"])
	if n == nil {
		return nil
	}
	for _, v := range n.Content {
		v = deref(v)
		if v.Kind != yaml.ScalarNode {
			f := fields(v)
			out = append(out, port{ip: scalar(f["host_ip"]), host: scalar(f["published"]), container: scalar(f["target"]), line: v.Line})
			continue
		}
		spec, _, _ := strings.Cut(v.Value, "/")
		p := port{line: v.Line}
		// [ip:][host:]container; an IPv6 address is in brackets
		if i := strings.LastIndex(spec, "]:"); strings.HasPrefix(spec, "[") && i > 0 {
			p.ip, spec = spec[1:i], spec[i+2:]
		}
		parts := strings.Split(spec, ":")
		switch len(parts) {
		case 1:
			p.container = parts[0]
		case 2:
			p.host, p.container = parts[0], parts[1]
		default:
			p.ip, p.host, p.container = parts[0], parts[1], parts[2]
		}
		out = append(out, p)
	}
	return out
}

// checkCompose checks what every service must keep: mounted files exist,
// images are pinned, the ports of /metrics, Prometheus and Alertmanager
// bind 127.0.0.1 only, and every depends_on condition can be met.
func checkCompose(r repo, c *compose) problems {
	var p problems
	for _, name := range c.names {
		s := c.services[name]
		for _, m := range s.mounts() {
			if !r.exists(m.src) {
				p.at(c.file, m.line, "service %s: volumes: %s (mounted at %s) does not exist in the repository", name, m.src, m.dst)
			}
		}
		if b := s.f["build"]; b != nil {
			ctx, dockerfile := scalar(b), "Dockerfile"
			if f := fields(b); len(f) > 0 {
				ctx = scalar(f["context"])
				if d := scalar(f["dockerfile"]); d != "" {
					dockerfile = d
				}
			}
			if !r.exists(path.Join(ctx, dockerfile)) {
				p.at(c.file, lineOf(b), "service %s: build: %s does not exist", name, path.Join(ctx, dockerfile))
			}
		}
		switch img, tag := s.image(), s.tag(); {
		case img == "" && s.f["build"] == nil:
			p.at(c.file, s.line, "service %s: no image and no build", name)
		case img == "":
		case tag == "" && !strings.Contains(img, "@sha256:"):
			p.at(c.file, lineOf(s.f["image"]), "service %s: image %q has no tag: pin a version", name, img)
		case tag == "latest" || tag == "head" || tag == "nightly":
			p.at(c.file, lineOf(s.f["image"]), "service %s: image %q floats (%s): pin a version", name, img, tag)
		case !strings.ContainsAny(tag, "0123456789"):
			p.at(c.file, lineOf(s.f["image"]), "service %s: image %q: tag %q names no version", name, img, tag)
		}
		private := map[string]string{} // container port -> what it serves
		switch s.repoName() {
		case "prom/prometheus":
			private["9090"] = "Prometheus"
		case "prom/alertmanager":
			private["9093"] = "Alertmanager"
		}
		if addr, ok := s.setting("metrics-addr", "OPSMETRICS_METRICS_ADDR"); ok {
			if _, port, err := splitHostPort(addr); err == nil {
				private[port] = "/metrics"
			}
		}
		for _, pt := range s.ports() {
			if what, ok := private[pt.container]; ok && pt.ip != "127.0.0.1" {
				ip := pt.ip
				if ip == "" {
					ip = "every address"
				}
				p.at(c.file, pt.line, "service %s: ports: %s (container port %s) is published on %s: bind it to 127.0.0.1 only",
					name, what, pt.container, ip)
			}
		}
		for dep, cond := range sortedMap(s.dependsOn()) {
			d, ok := c.services[dep]
			line := lineOf(s.f["depends_on"])
			switch {
			case !ok:
				p.at(c.file, line, "service %s: depends_on: %s is not a service", name, dep)
			case cond == "service_healthy" && !d.hasHealthcheck():
				p.at(c.file, line, "service %s: depends_on: %s: condition service_healthy, but %s has no healthcheck", name, dep, dep)
			case cond == "service_completed_successfully" && scalar(d.f["restart"]) != "" && scalar(d.f["restart"]) != "no":
				p.at(c.file, line, "service %s: depends_on: %s must complete, but it restarts (%s)", name, dep, scalar(d.f["restart"]))
			case cond != "service_healthy" && cond != "service_started" && cond != "service_completed_successfully":
				p.at(c.file, line, "service %s: depends_on: %s: unknown condition %q", name, dep, cond)
			case len(strs(s.f["profiles"])) == 0 && len(strs(d.f["profiles"])) > 0:
				p.at(c.file, line, "service %s (no profile) depends on %s of profile %v: plain `docker compose up` would fail",
					name, dep, strs(d.f["profiles"]))
			}
		}
	}
	return p
}

func splitHostPort(addr string) (host, port string, err error) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return "", "", fmt.Errorf("address %q has no port", addr)
	}
	return addr[:i], addr[i+1:], nil
}

// sortedMap ranges over m in key order, so problems come out in a stable order.
func sortedMap[V any](m map[string]V) func(func(string, V) bool) {
	return func(yield func(string, V) bool) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

// chConfig is what the checks read of a ClickHouse server or Keeper XML file.
type chConfig struct {
	XMLName         xml.Name
	InterserverHost string     `xml:"interserver_http_host"`
	Macros          *chMacros  `xml:"macros"`
	RemoteServers   *chRemotes `xml:"remote_servers"`
	Zookeeper       *struct {
		Nodes []chHost `xml:"node"`
	} `xml:"zookeeper"`
	Keeper *struct {
		TCPPort  string `xml:"tcp_port"`
		ServerID string `xml:"server_id"`
		Raft     []struct {
			ID       string `xml:"id"`
			Hostname string `xml:"hostname"`
			Port     string `xml:"port"`
		} `xml:"raft_configuration>server"`
	} `xml:"keeper_server"`
}

type chMacros struct {
	Shard   []string `xml:"shard"`
	Replica []string `xml:"replica"`
}

type chRemotes struct {
	Clusters []struct {
		XMLName xml.Name
		Shards  []struct {
			Replicas []chHost `xml:"replica"`
		} `xml:"shard"`
	} `xml:",any"`
}

type chHost struct {
	Host string `xml:"host"`
	Port string `xml:"port"`
}

// parseXML reads a ClickHouse or Keeper config file; its root must be
// <clickhouse> (or the old <yandex>).
func parseXML(r repo, rel string) (*chConfig, error) {
	b, err := r.read(rel)
	if err != nil {
		return nil, err
	}
	var c chConfig
	if err := xml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: not valid XML: %w", rel, err)
	}
	if c.XMLName.Local != "clickhouse" && c.XMLName.Local != "yandex" {
		return nil, fmt.Errorf("%s: root element <%s>, want <clickhouse>", rel, c.XMLName.Local)
	}
	return &c, nil
}

// xmlLine is the first line of rel holding needle (1 when none does), to
// point at a value the XML decoder gave without its position.
func xmlLine(r repo, rel, needle string) int {
	b, err := r.read(rel)
	if err != nil {
		return 0
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, needle) {
			return i + 1
		}
	}
	return 1
}

// configFiles are the repository files mounted into a service under dir,
// ending in ext.
func configFiles(s *service, dir, ext string) []mount {
	var out []mount
	for _, m := range s.mounts() {
		if strings.HasPrefix(m.dst, dir) && strings.HasSuffix(m.dst, ext) {
			out = append(out, m)
		}
	}
	return out
}

var errNoFile = errors.New("no such file")

// mountedFile is the repository file mounted at dst in s.
func mountedFile(s *service, dst string) (string, error) {
	for _, m := range s.mounts() {
		if m.dst == dst {
			return m.src, nil
		}
		if rest, ok := strings.CutPrefix(dst, strings.TrimSuffix(m.dst, "/")+"/"); ok {
			return path.Join(m.src, rest), nil
		}
	}
	return "", fmt.Errorf("service %s: %s: %w (nothing of the repository is mounted there)", s.name, dst, errNoFile)
}
