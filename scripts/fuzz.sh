#!/usr/bin/env bash
# Fuzzes HTTPRequestDecoder with libFuzzer: scripts/fuzz.sh [seconds] (default 60).
#
# Builds Fuzz/ (its own package, so sanitizer flags never reach the normal
# build), then runs HTTPDecoderFuzzer seeded from Fuzz/corpus. New inputs that
# reach new coverage go to fuzz-corpus/ and crashing inputs to fuzz-crashes/
# (both gitignored; fuzz-corpus/ carries over between runs). Exits non-zero
# when the fuzzer finds a crash, hang or invariant failure.
#
# Reproduce a crash:  Fuzz/.build/release/HTTPDecoderFuzzer fuzz-crashes/crash-<sha1>
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in
    '' | *[!0-9]*) echo "usage: $0 [seconds]" >&2; exit 64 ;;
esac

cd "$(dirname "$0")/.."

# -parse-as-library: libFuzzer supplies the program's main (through
# Fuzz/Sources/FuzzerEntry, which satisfies SwiftPM's entry-point alias).
build_flags=(--package-path Fuzz -c release --scratch-path Fuzz/.build
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
swift build "${build_flags[@]}"
fuzzer="$(swift build "${build_flags[@]}" --show-bin-path)/HTTPDecoderFuzzer"

mkdir -p fuzz-corpus fuzz-crashes
# Swift's own crash backtracer reads the stack from a helper thread, which
# AddressSanitizer reports as a second, unrelated error; let libFuzzer report.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
status=0
"$fuzzer" fuzz-corpus Fuzz/corpus \
    -max_total_time="$seconds" \
    -max_len=4096 \
    -timeout=10 \
    -dict=Fuzz/http.dict \
    -artifact_prefix=fuzz-crashes/ \
    -print_final_stats=1 || status=$?

if [ "$status" -ne 0 ]; then
    echo "fuzz: HTTPDecoderFuzzer failed (exit $status); inputs are in fuzz-crashes/" >&2
    exit "$status"
fi
echo "fuzz: ${seconds}s without a crash; corpus in fuzz-corpus/ ($(ls fuzz-corpus | wc -l) entries)"
