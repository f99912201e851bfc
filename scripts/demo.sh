#!/usr/bin/env bash
# `make demo`: the main job on the built-in images. Each step prints what it shows.
set -euo pipefail
cd "$(dirname "$0")/.."
OSBOX=${OSBOX:-build/osbox}

step() { printf '\n== %s\n' "$*"; }

step "osbox version"
"$OSBOX" version
