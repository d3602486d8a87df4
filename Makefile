# opsmetrics: `make run` and `make test` are the whole quick start.
GO      ?= go
BIN     := bin/opsmetrics
ADDR    ?= :8080
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# apt-get as root, or through sudo for a user.
APT := $(shell [ "$$(id -u)" = 0 ] && echo apt-get || echo sudo apt-get)

.PHONY: build run libchdb test test-deps bench fuzz clean

# Every fuzz target, as package:Target; `make fuzz` runs each for FUZZTIME.
FUZZ_TARGETS := ./ingest/harvest:FuzzHarvest ./ingest/toggl:FuzzToggl ./ingest/clockify:FuzzClockify \
	./ingest/canonical:FuzzCSV ./ingest/canonical:FuzzNDJSON ./ingest/canonical:FuzzJSON \
	./ingest/canonical:FuzzScanObject ./ingest:FuzzParseDecimal ./ingest:FuzzParseDuration \
	./ingest:FuzzParseDate ./ingest:FuzzParseClock
FUZZTIME ?= 3s

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

# Test dependencies: libchdb, and Debian's clickhouse-server, a real server
# process for the server-mode tests.
test-deps: libchdb
	@command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || [ -x /usr/bin/clickhouse-server ] || { $(APT) update && \
		DEBIAN_FRONTEND=noninteractive $(APT) install -y --no-install-recommends clickhouse-server clickhouse-client; }

# Runs every test: unit, the store conformance suite on the embedded engine,
# the real clickhouse-server tests and the end-to-end CLI tests.
test: test-deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) fuzz

# Runs each fuzz target briefly on top of its seed corpus (the seeds also run
# as plain tests above). FUZZTIME=5m make fuzz for a longer hunt.
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

clean:
	rm -rf bin
