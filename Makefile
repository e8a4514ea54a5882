# Thin wrapper: installs what is missing, builds Release with CMake, runs the server or the tests.
BUILD ?= build
JOBS ?= $(shell nproc)
PACKAGES := cmake ninja-build g++ pkg-config libboost-dev libboost-system-dev libxxhash-dev librocksdb-dev \
	libgtest-dev libgmock-dev libbenchmark-dev libspdlog-dev libcli11-dev libssl-dev libabsl-dev \
	libsimdjson-dev libhiredis-dev redis-server redis-tools openssl python3 python3-redis nodejs npm
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
NODE_CLIENTS := tests/clients/node

.PHONY: deps build run test test-sanitize test-tsan fuzz clean

# A package also counts as present when an installed one provides it (e.g. npm inside a nodejs
# build that bundles it).
deps:
	@provided=$$(dpkg-query -W -f='$${db:Status-Abbrev}$${Provides}\n' 2>/dev/null | sed -n 's/^ii *//p' | tr ',' '\n' | sed 's/(.*//; s/ //g'); \
	missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || \
	    echo "$$provided" | grep -qx "$$p" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/server/latchkey-server conf/latchkey.conf

# The Node client tests' packages (pinned in package-lock.json), installed again when the lock changes.
$(NODE_CLIENTS)/node_modules: $(NODE_CLIENTS)/package-lock.json | deps
	cd $(NODE_CLIENTS) && npm ci --no-audit --no-fund
	touch $@

test: build $(NODE_CLIENTS)/node_modules
	cd $(BUILD) && ctest --output-on-failure -j 2

# The server and every test under ASan+UBSan in build-sanitize (benchmarks left out). The integration
# tests drive the sanitized server, whose reports (leaks at exit included) go to build-sanitize/reports;
# any report fails the run even when no test noticed it.
# Skipped there: the maxmemory tests (ASan's allocator answers glibc's mallinfo2, which used_memory
# reads, with zeros) and the mass-expiry latency bound (loading a million keys takes too long unoptimized).
SANITIZE_REPORTS := $(CURDIR)/build-sanitize/reports
SANITIZE_SKIP := ^(Eviction|Policies/AllKeysEviction|ActiveExpiry\.MassExpiryDoesNotStallClients)
test-sanitize: deps $(NODE_CLIENTS)/node_modules
	cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=None -DLATCHKEY_SANITIZE=address,undefined
	cmake --build build-sanitize -j $(JOBS)
	rm -rf $(SANITIZE_REPORTS) && mkdir -p $(SANITIZE_REPORTS)
	cd build-sanitize && ASAN_OPTIONS=log_path=$(SANITIZE_REPORTS)/asan:detect_leaks=1 \
	  UBSAN_OPTIONS=log_path=$(SANITIZE_REPORTS)/ubsan:print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j 2 -E '$(SANITIZE_SKIP)'
	@if [ -n "$$(ls -A $(SANITIZE_REPORTS))" ]; then \
	  echo "sanitizer reports:"; cat $(SANITIZE_REPORTS)/*; exit 1; fi

# The concurrency tests under ThreadSanitizer in build-tsan: the storage layer's concurrent writers,
# rotations, sessions and transactions in-process, and the integration tests that drive a TSan server
# from many connections at once. detect_deadlocks=0: a transaction over every shard holds more than the
# 64 mutexes TSan's lock-order detector can track; the maxmemory tests are left out as under ASan.
TSAN_REPORTS := $(CURDIR)/build-tsan/reports
TSAN_TESTS := Concurren|Network\.TwoHundred|Crash\.|Transactions\.
test-tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=None -DLATCHKEY_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS) --target storage_tests integration_tests latchkey-server
	rm -rf $(TSAN_REPORTS) && mkdir -p $(TSAN_REPORTS)
	cd build-tsan && TSAN_OPTIONS=log_path=$(TSAN_REPORTS)/tsan:halt_on_error=1:suppressions=$(CURDIR)/tests/tsan.supp:detect_deadlocks=0 \
	  ctest --output-on-failure -j 2 -R '$(TSAN_TESTS)' -E '^Eviction'
	@if [ -n "$$(ls -A $(TSAN_REPORTS))" ]; then \
	  echo "sanitizer reports:"; cat $(TSAN_REPORTS)/*; exit 1; fi

# libFuzzer targets under ASan+UBSan (clang, a build of their own in build-fuzz), each run for
# FUZZ_SECONDS from a copy of its seed corpus in tests/fuzz/corpus. Crashes land in build-fuzz.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := request_parser jwt_claims refresh_token
fuzz: deps
	command -v clang++ >/dev/null || $(SUDO) apt-get install -y --no-install-recommends clang
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATCHKEY_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS) $(addprefix --target fuzz_,$(FUZZ_TARGETS))
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t && cp -n tests/fuzz/corpus/$$t/* build-fuzz/corpus/$$t/ 2>/dev/null; \
	  (cd build-fuzz && ./tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 corpus/$$t) || exit 1; \
	done

clean:
	rm -rf $(BUILD)
