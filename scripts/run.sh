#!/usr/bin/env bash
# Builds Auralis (release) and runs the server on your music: ./scripts/run.sh [MUSIC_DIR] [serve options]
# The only system packages the build needs beyond Rust and a C compiler are cmake and make (for
# the bundled libopus and LAME).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=""
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
command -v make >/dev/null 2>&1 || missing="$missing make"
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq $missing || $SUDO apt-get install -y -qq $missing
fi
exec cargo run --release --bin auralis -- serve "$@"
