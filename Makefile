# opsmetrics: `make run` and `make test` are the whole quick start.
GO      ?= go
BIN     := bin/opsmetrics
ADDR    ?= :8080
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# apt-get as root, or through sudo for a user.
APT := $(shell [ "$$(id -u)" = 0 ] && echo apt-get || echo sudo apt-get)

.PHONY: build run libchdb test test-deps bench fuzz clean echarts axe

# Every fuzz target, as package:Target; `make fuzz` runs each for FUZZTIME.
FUZZ_TARGETS := ./ingest/harvest:FuzzHarvest ./ingest/toggl:FuzzToggl ./ingest/clockify:FuzzClockify \
	./ingest/canonical:FuzzCSV ./ingest/canonical:FuzzNDJSON ./ingest/canonical:FuzzJSON \
	./ingest/canonical:FuzzScanObject ./ingest:FuzzParseDecimal ./ingest:FuzzParseDuration \
	./ingest:FuzzParseDate ./ingest:FuzzParseClock ./ingest:FuzzCSVReader ./ingest:FuzzScanPlain \
	./ingest/hook:FuzzJira ./ingest/hook:FuzzClickUp ./ingest/hook:FuzzAsana ./ingest/hook:FuzzTrello ./ingest/hook:FuzzGitHub
# A count, not a duration: with a duration, Go 1.26's fuzzer can fail a
# clean run with "context deadline exceeded" when the time runs out while a
# worker is busy (go.dev/issue/75804, fixed in Go 1.27). 50,000 inputs take
# 1-3 s per target here.
FUZZTIME ?= 50000x

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/opsmetrics

# Installs the pinned embedded engine (libchdb) into the user cache; a no-op
# when it is already there.
libchdb: build
	./$(BIN) chdb install

# Installs what is missing, builds, loads the demo agency and serves on :8080.
run: libchdb
	./$(BIN) demo
	./$(BIN) serve --addr $(ADDR)

# Test dependencies: libchdb, and from Debian: clickhouse-server (a real
# server process for the server-mode tests), chromium (the dashboards'
# browser test and the reports' PDFs), poppler-utils (pdftoppm and pdftotext
# read the PDFs back) and prometheus (promtool and a real Prometheus for the alert
# tests), prometheus-alertmanager (amtool checks the Alertmanager config the
# compose file loads: deploy/), haproxy (checks the cluster's load balancer
# config), and axe-core from npm (the browser test's accessibility check). Only
# what is missing is installed.
test-deps: libchdb axe
	@missing=""; \
	{ command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || [ -x /usr/bin/clickhouse-server ]; } || missing="$$missing clickhouse-server clickhouse-client"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	{ command -v pdftoppm >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; } || missing="$$missing poppler-utils"; \
	command -v promtool >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v amtool >/dev/null 2>&1 || missing="$$missing prometheus-alertmanager"; \
	command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing="$$missing haproxy"; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; $(APT) update && \
		DEBIAN_FRONTEND=noninteractive $(APT) install -y --no-install-recommends $$missing; fi

# The KPI and capacity tests (and the store conformance suite) run a second
# time on an engine started with the setting defaults of the oldest server
# opsmetrics accepts (compatibility = $(FLOOR); docs/architecture.md, "The
# ClickHouse 24.8 floor"). Skipped there:
# tests with no KPI SQL of their own (promtool rules, the collector's loop,
# the cache) and TestRetroAPI, whose two saves of a note in one millisecond
# come back in the other order under 24.8's defaults (the same page).
FLOOR       := 24.8
COMPAT_SKIP := TestRules|TestCollector|TestCache|TestCapSeries|TestPublishNames

# Runs every test: unit, the store conformance suite on the embedded engine,
# the real clickhouse-server tests and the end-to-end CLI tests.
test: test-deps
	@unformatted=$$(git ls-files '*.go' | xargs "$$($(GO) env GOROOT)/bin/gofmt" -l); \
		if [ -n "$$unformatted" ]; then echo "not gofmt-formatted (run gofmt -w):"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	OPSMETRICS_TEST_COMPATIBILITY=$(FLOOR) $(GO) test -count=1 -timeout 10m ./sql/chdb ./metrics -skip '$(COMPAT_SKIP)'
	$(MAKE) fuzz

# Runs each fuzz target briefly on top of its seed corpus (the seeds also run
# as plain tests above). FUZZTIME=5000000x make fuzz for a longer hunt.
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg" >/tmp/opsmetrics-fuzz.log 2>&1 || \
			{ cat /tmp/opsmetrics-fuzz.log; exit 1; }; \
	done

# Benchmarks recorded in docs/benchmarks.md.
bench: test-deps
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./sql/chdb/

# Fetches the pinned ECharts build the dashboards embed (see
# dashboards/assets/README.md) and checks the npm integrity hash.
ECHARTS_VERSION   := 5.4.3
ECHARTS_INTEGRITY := sha512-mYKxLxhzy6zyTi/FaEbJMOZU1ULGEQHaeIeuMR5L+JnJTpz+YR03mnnpBhbR4+UYJAgiXgpyTVLffPAjOTLkZA==
echarts:
	@tmp=$$(mktemp -d); cd $$tmp && npm pack echarts@$(ECHARTS_VERSION) --silent >/dev/null && \
	got="sha512-$$(openssl dgst -sha512 -binary echarts-$(ECHARTS_VERSION).tgz | base64 -w0)" && \
	[ "$$got" = "$(ECHARTS_INTEGRITY)" ] || { echo "echarts $(ECHARTS_VERSION): integrity mismatch: $$got"; exit 1; }; \
	tar xzf echarts-$(ECHARTS_VERSION).tgz && cd - >/dev/null && \
	cp $$tmp/package/dist/echarts.min.js dashboards/assets/echarts.min.js && \
	cp $$tmp/package/LICENSE dashboards/assets/echarts-LICENSE && cp $$tmp/package/NOTICE dashboards/assets/echarts-NOTICE && \
	rm -rf $$tmp && echo "dashboards/assets: echarts $(ECHARTS_VERSION) verified"

# Fetches the pinned axe-core the browser test injects into every page
# (app/browser_pages_test.go reads $(AXE_DIR)/axe.min.js, or $$OPSMETRICS_AXE)
# and checks the npm integrity hash; a no-op when it is already there.
AXE_VERSION   := 4.14.1
AXE_INTEGRITY := sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
AXE_DIR       := $(HOME)/.cache/opsmetrics/axe-core-$(AXE_VERSION)
axe:
	@[ -f $(AXE_DIR)/axe.min.js ] && exit 0; \
	tmp=$$(mktemp -d); cd $$tmp && npm pack axe-core@$(AXE_VERSION) --silent >/dev/null && \
	got="sha512-$$(openssl dgst -sha512 -binary axe-core-$(AXE_VERSION).tgz | base64 -w0)" && \
	[ "$$got" = "$(AXE_INTEGRITY)" ] || { echo "axe-core $(AXE_VERSION): integrity mismatch: $$got"; rm -rf $$tmp; exit 1; }; \
	tar xzf axe-core-$(AXE_VERSION).tgz && mkdir -p $(AXE_DIR) && \
	cp package/axe.min.js package/LICENSE $(AXE_DIR)/; \
	cd / && rm -rf $$tmp && echo "axe-core $(AXE_VERSION) verified, in $(AXE_DIR)"

clean:
	rm -rf bin
