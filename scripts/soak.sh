#!/usr/bin/env bash
# Soak benchmark: N listeners playing 5-minute tracks against the release server for minutes, as
# players do (position every second, the next chunk of both variants, seeks, track changes,
# preset changes, rescans). Builds the release binary and the driver, then runs
# crates/server/examples/soak.rs. Extra arguments go to the driver, e.g.
# `scripts/soak.sh --listeners 8 --minutes 5` or `scripts/soak.sh --listeners 4 --switch-after 90`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p auralis --bin auralis
cargo build --release -p auralis-server --example soak
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
"$target_dir/release/examples/soak" --bin "$target_dir/release/auralis" "$@"
