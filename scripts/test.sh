#!/usr/bin/env bash
# Runs every Auralis test: formatting, lints, the Rust suites and the browser suite.
# Installs what the tests need on Debian first (apt: chromium, cmake, make; npm: playwright-core).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
command -v make >/dev/null 2>&1 || missing="$missing make"
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  # dpkg sometimes loses its temp archives on this kind of machine; a second try succeeds.
  $SUDO apt-get install -y -qq $missing || $SUDO apt-get install -y -qq $missing
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# Also builds target/debug/auralis (the CLI integration tests need it), which the browser suite drives.
cargo test --workspace

(cd web-tests && npm ci --no-audit --no-fund --loglevel=error && node --test --test-concurrency=1)
