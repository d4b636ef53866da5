#!/usr/bin/env bash
# Subsonic stream benchmark: time to first byte (uncached, from a cache tier, kept), whole
# streams per format, and peak memory with 10 concurrent streams, against the release server.
# Extra arguments go to crates/server/examples/subsonic_bench.rs, e.g. `--reps 9 --streams 10`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin auralis
cargo build --release -p auralis-server --example subsonic_bench
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
"$target_dir/release/examples/subsonic_bench" --bin "$target_dir/release/auralis" "$@"
