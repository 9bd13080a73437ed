# EchoSenseiX: `make help` lists every target.
SHELL := /bin/bash
GO ?= go
GOBIN ?= $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION ?= v0.8.2
BENCHSTAT_VERSION ?= v0.0.0-20260908200009-22c9c6c9d4da

.DEFAULT_GOAL := help

.PHONY: help
help: ## List every target with what it does
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z0-9_.-]+:.*## /{printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/echosenseix and bin/loadgen
	@mkdir -p bin
	$(GO) build -trimpath -o bin/echosenseix ./server/cmd/echosenseix
	@if [ -d loadtests/cmd/loadgen ]; then $(GO) build -trimpath -o bin/loadgen ./loadtests/cmd/loadgen; fi

.PHONY: run
run: build ## Run the server on PORT (default 5000); in-memory unless DATABASE_URL is set
	./bin/echosenseix serve

$(GOBIN)/staticcheck:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(GOBIN)/benchstat:
	$(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

.PHONY: lint
lint: $(GOBIN)/staticcheck ## go vet + staticcheck
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

.PHONY: test
test: lint ## Lint, then go test -race ./... against real Postgres and Redis (stack helper)
	$(GO) test -race -count=1 -timeout 20m ./...

.PHONY: bench
bench: $(GOBIN)/benchstat ## The main job: micro + macro benchmarks with peers, table in bench/results/<timestamp>/
	$(GO) run ./bench/cmd/benchrun

.PHONY: tidy
tidy: ## go mod tidy
	$(GO) mod tidy
