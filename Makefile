# eio — build, test and tooling targets. Every test run uses -race.
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 60s
BIN         := bin/eio

.PHONY: all build test interop demo traces lint fuzz peers docs bench soak clean

all: lint test

build:
	$(GO) build ./...
	$(GO) build -o $(BIN) ./cmd/eio

# The real-server peers used by the interop tests: Node engine.io 6 and 3
# (npm), python-engineio (Debian packages, apt-get) and the Go server (its
# own module, built into conformance/peers/goserver/bin).
peers:
	bash conformance/peers/install.sh

test: peers
	CI=$${CI:-false} $(GO) test -race -count=1 -timeout 15m ./...

# The real-server tests alone: the interoperability matrix, which rewrites
# docs/interop.md (and conformance/interop/testdata/results.json) from its
# run, then the other packages' tests against Node.
interop: peers
	$(GO) test -race -count=1 -timeout 10m ./conformance/interop -update
	$(GO) test -race -count=1 -timeout 10m -run 'Node' ./client/... ./cmd/... ./conformance/...

# Replays a bundled trace against the client: no outside server is needed.
# It prints the session as a Mermaid diagram, replays it step by step
# (client upgrades polling -> websocket), then runs the state machine alone
# on the same trace.
DEMO_TRACE ?= conformance/testdata/traces/v4-upgrade.har
demo: build
	$(BIN) replay -mermaid $(DEMO_TRACE)
	$(BIN) replay -v $(DEMO_TRACE)
	$(BIN) replay -machine $(DEMO_TRACE)

# Re-records the trace corpus (conformance/testdata/traces) with the
# reference JavaScript client and python-engineio's client through
# `eio proxy` against the Node and python peers.
traces: peers build
	bash conformance/traces-tools/record.sh $(BIN)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# Runs every fuzz target for FUZZTIME each. A short minimisation keeps the
# workers fuzzing: with the default (60 s) the engine can spend most of a
# target's time shrinking one new input.
fuzz:
	@for pkg in ./codec ./conformance/har ./conformance/trace ./fsm; do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$target"; \
			$(GO) test $$pkg -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s || exit 1; \
		done; \
	done

# Regenerates the committed state diagram from the machine's table.
docs:
	$(GO) test ./fsm -run TestStateDiagramUpToDate -update

# Go benchmarks, then eio bench against the Node peer (eio, the floor,
# zishang520, engine.io-client), with profiles; regenerates docs/performance.md.
bench: peers build
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./codec ./fsm ./client > bin/gobench.txt || { cat bin/gobench.txt; exit 1; }
	cat bin/gobench.txt
	$(BIN) bench -rounds 5 -gobench bin/gobench.txt -cpuprofile bin/bench-profiles -o docs/performance.md

# 1,000 clients against the Node peer for 60 s with 200 ms pings and a
# message a second each, then all disconnect: nothing lost, nobody dropped,
# goroutines back to the baseline; regenerates the soak region of
# docs/reliability.md. Not part of `make test`: it loads the machine.
SOAK_CLIENTS  ?= 1000
SOAK_DURATION ?= 60s
soak: peers build
	$(BIN) soak -clients $(SOAK_CLIENTS) -duration $(SOAK_DURATION) -o docs/reliability.md

clean:
	rm -rf bin
