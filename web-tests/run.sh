#!/usr/bin/env bash
# Runs the browser suite against target/debug/auralis (build it first: cargo build --bin auralis).
# Installs nothing but the locked npm dependencies (npm ci). Exits non-zero on failure.
# AURALIS_BIN="<command>" runs the suite against another server command instead.
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${AURALIS_BIN:-}" ] && [ ! -x ../target/debug/auralis ]; then
  echo "target/debug/auralis not found: run 'cargo build --bin auralis' first" >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
exec node --test --test-concurrency=1 "$@"
