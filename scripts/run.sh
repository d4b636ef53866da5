#!/usr/bin/env bash
# Builds Auralis (release) and runs the server on your music: ./scripts/run.sh [MUSIC_DIR] [serve options]
# The only system package the build needs beyond Rust and a C compiler is cmake (for the bundled libopus).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cmake >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq cmake || $SUDO apt-get install -y -qq cmake
fi
exec cargo run --release --bin auralis -- serve "$@"
