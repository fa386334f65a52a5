# Haven M-Pesa — the two commands a new user needs: `make run` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
BIN := $(BUILD_DIR)/haven-mpesa
CHAOS_RUNS ?= 20

.PHONY: run test build deps test-deps unit browser-test clean bench chaos chaos-failover fuzz

run: build
	./scripts/run-demo.sh $(BIN)

test: test-deps build
	./scripts/run-tests.sh $(BUILD_DIR)

deps:
	./scripts/install-deps.sh

test-deps:
	./scripts/install-deps.sh --test

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Every ctest test (unit, storage on SQLite and a throwaway PostgreSQL, integration, cluster), no browser.
unit: test-deps build
	./scripts/run-tests.sh $(BUILD_DIR) --no-browser

bench: build
	./bench/run.sh $(BUILD_DIR)

# The crash test (kill -9 mid-burst, restart, invariants) CHAOS_RUNS times with fresh seeds; `make test`
# runs it once. A failed run prints its seed: CRASH_SEED=N $(BUILD_DIR)/tests/crash/crash_test $(BIN) replays it.
chaos: build
	@failed=""; \
	for i in $$(seq 1 $(CHAOS_RUNS)); do \
	  seed=$$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); \
	  echo "== chaos run $$i/$(CHAOS_RUNS), seed $$seed"; \
	  CRASH_SEED=$$seed $(BUILD_DIR)/tests/crash/crash_test $(BIN) || failed="$$failed $$seed"; \
	done; \
	if [ -n "$$failed" ]; then echo "chaos: failed seeds:$$failed"; exit 1; fi; \
	echo "chaos: $(CHAOS_RUNS) runs passed"
	@$(MAKE) --no-print-directory chaos-failover

# The PostgreSQL primary killed (kill -9) during a burst of pushes through HAProxy on the local cluster of
# scripts/cluster.sh: the standby takes over, no acknowledged write is lost, the time until writes succeed is printed.
chaos-failover: build test-deps
	python3 tests/chaos/failover_chaos.py $(BIN)

# Coverage-guided fuzzing of every parser of untrusted input (clang + libFuzzer, build-fuzz/).
FUZZ_SECONDS ?= 60
fuzz:
	./scripts/install-deps.sh --fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz.sh

clean:
	rm -rf $(BUILD_DIR)
