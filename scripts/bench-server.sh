#!/usr/bin/env bash
# Server benchmark: resident memory (VmRSS) of the release server and response latency with 50
# concurrent clients on loopback. Builds the release binary and the load generator, then runs
# crates/server/examples/bench_server.rs against it. Extra arguments go to the generator,
# e.g. `scripts/bench-server.sh --seconds 20 --clients 50`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin auralis
cargo build --release -p auralis-server --example bench_server
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
"$target_dir/release/examples/bench_server" --bin "$target_dir/release/auralis" "$@"
