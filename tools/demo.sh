#!/usr/bin/env bash
# README command 1: install what is missing, build, and open the GUI on the bundled demo project.
# Without a display it prints the project's summary through the headless CLI instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/build.sh
project=datasets/demo.kvw
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x build/app/kvwb ]; then
  exec build/app/kvwb "$project"
fi
echo "No display: headless summary of $project (open it with build/app/kvwb on a desktop)."
build/app/cli/kvwb-cli info "$project"
