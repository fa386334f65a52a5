# Haven M-Pesa — the two commands a new user needs: `make run` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
BIN := $(BUILD_DIR)/haven-mpesa

.PHONY: run test build deps test-deps unit browser-test clean bench fuzz

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

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	./bench/run.sh $(BUILD_DIR)

# Coverage-guided fuzzing of every parser of untrusted input (clang + libFuzzer, build-fuzz/).
FUZZ_SECONDS ?= 60
fuzz:
	./scripts/install-deps.sh --fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz.sh

clean:
	rm -rf $(BUILD_DIR)
