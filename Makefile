# EchoSenseiX: `make help` lists every target.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
GOBIN ?= $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION ?= v0.8.2

.DEFAULT_GOAL := help

.PHONY: help
help: ## List every target with what it does
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z0-9_.-]+:.*## /{printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/echosenseix, bin/loadgen and bin/wsload
	@mkdir -p bin
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o bin/echosenseix ./server/cmd/echosenseix
	$(GO) build -trimpath -o bin/loadgen ./loadtests/cmd/loadgen
	$(GO) build -trimpath -o bin/wsload ./loadtests/cmd/wsload

.PHONY: run
run: build ## Run the server on PORT (default 5000); in-memory unless DATABASE_URL is set
	./bin/echosenseix serve

$(GOBIN)/staticcheck:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: lint
lint: $(GOBIN)/staticcheck ## go vet + staticcheck
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

.PHONY: test
test: lint ## Lint, then go test -race ./... against real Postgres and Redis (stack helper)
	$(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v /integration/)
	@# The fault suites assert recovery bounds (Redis back within 5 s): run them
	@# after the rest, not beside CPU-heavy packages on a 2-core machine.
	$(GO) test -race -count=1 -timeout 20m ./integration/...

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
.PHONY: loadtest
loadtest: build ## Load tier TIER=smoke|1k|10k|100k: starts server + Postgres/Redis + seed; report in loadtests/reports/<tier>-<timestamp>/
	$(GO) build -o bin/loadtest ./loadtests/cmd/loadtest && ./bin/loadtest -tier $(TIER)

.PHONY: loadtest-nginx
loadtest-nginx: build ## The load generator and wrk vs nginx static 200: shows the generator is not the bottleneck
	$(GO) build -o bin/loadtest ./loadtests/cmd/loadtest && ./bin/loadtest -nginx

.PHONY: loadtest-connections
loadtest-connections: build ## Realtime proof: 100k WebSockets held 5 min, 1 event/s to a 10k-socket org (loadtests/results/)
	loadtests/run-connections.sh ws

.PHONY: loadtest-connections-http
loadtest-connections-http: build ## Cluster proof: 60k keep-alive HTTP connections on CLUSTER_WORKERS=8, a request every 10 s each
	loadtests/run-connections.sh http

.PHONY: dashboards
dashboards: ## Regenerate dashboards/json/*.json from the dashboards-as-code in dashboards/*.go
	$(GO) run ./dashboards/cmd/gen

.PHONY: dashboards-check
dashboards-check: ## Dashboards and alerts: JSON up to date, structure, promtool/amtool, and every query against a real Prometheus (~30 s)
	$(GO) test -count=1 -v ./dashboards/

.PHONY: tidy
tidy: ## go mod tidy
	$(GO) mod tidy
