# EchoSenseiX: `make help` lists every target.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
GOBIN ?= $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION ?= v0.8.2

.DEFAULT_GOAL := help

.PHONY: help
help: ## List every target with what it does
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z0-9_.-]+:.*## /{n++; name[n]=$$1; doc[n]=$$2; if (length($$1) > w) w = length($$1)} \
		END{f = "  %-" w "s  %s\n"; for (i = 1; i <= n; i++) printf f, name[i], doc[i]}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/echosenseix, bin/loadgen, bin/wsload and bin/tune
	@mkdir -p bin
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o bin/echosenseix ./server/cmd/echosenseix
	$(GO) build -trimpath -o bin/loadgen ./loadtests/cmd/loadgen
	$(GO) build -trimpath -o bin/wsload ./loadtests/cmd/wsload
	$(GO) build -trimpath -o bin/tune ./tuning/cmd/tune

.PHONY: run
run: build ## Run the server on PORT (default 5000); in-memory unless DATABASE_URL is set
	./bin/echosenseix serve

$(GOBIN)/staticcheck:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: lint
lint: $(GOBIN)/staticcheck ## go vet + staticcheck + repocheck (no tracked build product, no tracked file over 1 MiB)
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...
	$(GO) run ./tools/repocheck

.PHONY: test
test: lint ## Lint, go test -race ./... against real Postgres, Redis, RabbitMQ and NATS (stack helper), then the fuzz targets
	$(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v /integration/)
	$(MAKE) fuzz
	@# The fault suites assert recovery bounds (Redis back within 5 s): run them
	@# after the rest, not beside CPU-heavy packages on a 2-core machine.
	$(GO) test -race -count=1 -timeout 20m ./integration/...

.PHONY: test-short
test-short: ## Inner loop: go test -short ./... without -race and without integration/ (end-to-end and integration suites)
	$(GO) test -short -count=1 $$($(GO) list ./... | grep -v /integration/)

FUZZTIME ?= 20s

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 20s) on top of its committed corpus (testdata/fuzz/)
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(FUZZTIME) ./server/httpapi
	$(GO) test -run '^$$' -fuzz '^FuzzWebhook$$' -fuzztime $(FUZZTIME) ./server/httpapi

.PHONY: bench
bench: ## The main job: micro + macro benchmarks beside nginx/net/http/redis-benchmark/pgbench, table in bench/results/<timestamp>/
	$(GO) run ./bench/cmd/benchrun

.PHONY: bench-quick
bench-quick: ## Smoke run of the bench harness (BENCH_QUICK=1, ~1-2 min)
	BENCH_QUICK=1 $(GO) run ./bench/cmd/benchrun

.PHONY: bench-compare
bench-compare: ## benchstat + regression flags: make bench-compare OLD=bench/baseline NEW=bench/results/<ts>
	@test -n "$(OLD)" -a -n "$(NEW)" || { echo "usage: make bench-compare OLD=dir NEW=dir"; exit 2; }
	$(GO) run ./bench/cmd/benchrun compare $(OLD) $(NEW)

TIER ?= smoke
PROFILE ?=
.PHONY: loadtest
loadtest: build ## Load tier TIER=smoke|1k|10k|100k [PROFILE=defaults|tuned: inside a network namespace]: server + Postgres/Redis + seed; report in loadtests/reports/
	$(GO) build -o bin/loadtest ./loadtests/cmd/loadtest && ./bin/loadtest -tier $(TIER) $(if $(PROFILE),-profile $(PROFILE))

CAPACITY_ARGS ?=
.PHONY: capacity
capacity: build ## CPU per unit of work (page by route, login, webhook, frame, idle socket-second, connect), server and generator, checked against the smoke tier: loadtests/results/capacity-<timestamp>/ [CAPACITY_ARGS=-baseline OLD_BINARY]
	$(GO) build -o bin/loadtest ./loadtests/cmd/loadtest && ./bin/loadtest capacity $(CAPACITY_ARGS)

.PHONY: loadtest-nginx
loadtest-nginx: build ## The load generator and wrk vs nginx static 200: shows the generator is not the bottleneck
	$(GO) build -o bin/loadtest ./loadtests/cmd/loadtest && ./bin/loadtest -nginx

.PHONY: loadtest-connections
loadtest-connections: build ## Realtime proof: 100k WebSockets held 5 min, 1 event/s to a 10k-socket org (loadtests/results/)
	loadtests/run-connections.sh ws

.PHONY: loadtest-connections-http
loadtest-connections-http: build ## Cluster proof: 60k keep-alive HTTP connections on CLUSTER_WORKERS=8, a request every 10 s each
	loadtests/run-connections.sh http

# Host tuning (tuning/README.md). ROLE is app, postgres, redis or lb; ONLY one part; DEST the root.
ROLE ?= app
ONLY ?=
DEST ?= /
TUNE_ONLY = $(if $(ONLY),--only $(ONLY))
# The smoke tier has no profile of its own: it runs under 1k's, as make loadtest does.
TUNE_TIER = $(if $(filter smoke,$(TIER)),1k,$(TIER))
.PHONY: tune-plan tune-check tune-apply tune-revert
tune-plan: build ## Print the files a tuning profile writes: make tune-plan TIER=10k ROLE=app
	./bin/tune plan --tier $(TUNE_TIER) --role $(ROLE) $(TUNE_ONLY)

tune-check: build ## Check this host against a profile: make tune-check TIER=10k ROLE=app (exit 1 when off)
	./bin/tune check --tier $(TUNE_TIER) --role $(ROLE) $(TUNE_ONLY)

tune-apply: build ## Apply a profile (root; backups kept): make tune-apply TIER=10k ROLE=app [ONLY=net] [DEST=/]
	./bin/tune apply --tier $(TUNE_TIER) --role $(ROLE) $(TUNE_ONLY) --dest $(DEST)

tune-revert: build ## Restore exactly what tune-apply replaced: make tune-revert [DEST=/]
	./bin/tune revert --dest $(DEST)

.PHONY: tuning-proof
tuning-proof: build ## Proof that the profiles matter (root; not in CI; ~5 min): connection burst in default vs tuned namespaces, Postgres default vs tuned; tuning/results/<timestamp>/
	$(GO) build -o bin/tuning-proof ./tuning/proof/cmd/tuning-proof && ./bin/tuning-proof -rounds 3

.PHONY: dashboards
dashboards: ## Regenerate dashboards/json/*.json from the dashboards-as-code in dashboards/*.go
	$(GO) run ./dashboards/cmd/gen

.PHONY: dashboards-check
dashboards-check: ## Dashboards and alerts: JSON up to date, structure, promtool/amtool, and every query against a real Prometheus (~30 s)
	$(GO) test -count=1 -v ./dashboards/

README_TABLE_BEGIN = <!-- BEGIN config-table
README_TABLE_END = <!-- END config-table -->
.PHONY: config-table
config-table: ## Regenerate README.md's configuration table (between its markers) from server/cmd/echosenseix/config.go
	@grep -q '^$(README_TABLE_BEGIN)' README.md && grep -q '^$(README_TABLE_END)' README.md || { echo "README.md lacks the config-table markers"; exit 1; }
	$(GO) run ./server/cmd/echosenseix config-table > README.md.table
	awk -v table=README.md.table 'index($$0, "$(README_TABLE_BEGIN)") == 1 {while ((getline l < table) > 0) print l; skip = 1; next} \
		index($$0, "$(README_TABLE_END)") == 1 {skip = 0; next} !skip' README.md > README.md.new
	mv README.md.new README.md && rm -f README.md.table

.PHONY: clean
clean: ## Remove bin/, bench/results/, loadtests/reports/, binaries and test files in package folders, and this module's fuzz cache
	rm -rf bin bench/results loadtests/reports
	$(GO) clean ./...
	find . -not -path './.git/*' -not -path '*/node_modules/*' -type f \( -name '*.test' -o -name '*.prof' -o -name '*.pprof' \) -print -delete
	rm -rf "$$($(GO) env GOCACHE)/fuzz/$$($(GO) list -m)"

.PHONY: tidy
tidy: ## go mod tidy
	$(GO) mod tidy
