#!/bin/sh
# `make check`: every test, four builds.
#   build/       release build, gcc: unit, vector, cross-backend, power-cut,
#                symbol and CLI tests on both crypto backends;
#   build-mbedtls/ ward and wardd built on mbedTLS: the end-to-end tests;
#   build-asan/  the same suite under AddressSanitizer + UndefinedBehavior-
#                Sanitizer;
#   (tests labelled `slow`, minutes of real processes, run in build/ only)
#   build-fuzz/  clang + libFuzzer: each harness runs from its committed
#                corpus for WARD_FUZZ_SECONDS (default 20).
# Then the Cortex-M4 size report and the quick flow B benchmarks (bench/run.sh
# --quick). The last line sums up every ctest run.
set -eu
cd "$(dirname "$0")/.."
JOBS="${JOBS:-$(nproc)}"
FUZZ_SECONDS="${WARD_FUZZ_SECONDS:-20}"
passed=0
failed=0
status=0

run_suite() {
  dir="$1"; shift
  log="$dir/ctest.log"
  if ctest --test-dir "$dir" --output-on-failure -j"$JOBS" "$@" >"$log" 2>&1; then :; else status=1; fi
  cat "$log"
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [ -n "$line" ]; then
    total=$(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')
    bad=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/')
    passed=$((passed + total - bad))
    failed=$((failed + bad))
  else
    failed=$((failed + 1))
  fi
}

echo "== release build (gcc)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS"
run_suite build

echo "== size report (Cortex-M4)"
bench/size.sh

# The flow B benchmarks, briefly, so they cannot rot: a failing bench fails
# the check, its numbers are reported and never compared with the goals.
echo "== flow B and C benchmarks (quick)"
if bench/run.sh --quick build; then :; else echo "bench: FAILED"; failed=$((failed + 1)); status=1; fi
echo "== secure element binding: bytes and CPU per power-up check"
if build/bench/bench_se; then :; else echo "bench_se: FAILED"; failed=$((failed + 1)); status=1; fi

# The programs (ward, wardd) on the other backend: both libraries are
# always unit-tested, but only this runs wardd's threads on mbedTLS.
echo "== ward and wardd on mbedTLS: end-to-end tests"
cmake -S . -B build-mbedtls -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARD_CRYPTO=mbedtls >/dev/null
cmake --build build-mbedtls -j"$JOBS"
run_suite build-mbedtls -L e2e -LE slow

echo "== ASan + UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DWARD_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -LE slow

echo "== fuzz smoke (clang, libFuzzer, ${FUZZ_SECONDS}s per target)"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DWARD_FUZZ=ON -DWARD_FUZZ_SECONDS="$FUZZ_SECONDS" >/dev/null
cmake --build build-fuzz -j"$JOBS"
run_suite build-fuzz -L fuzz

echo "check: $passed passed, $failed failed"
exit $status
