#!/usr/bin/env bash
# Configures and builds KV Workbench into build/ (ccache, Ninja). GUI parts only where Qt 6 and
# QCustomPlot are installed, so a headless GPU node builds core + gpu + CLI.
# On a machine with a CUDA PyTorch, builds against its LibTorch (CUDA) instead of Debian's CPU one.
set -euo pipefail
cd "$(dirname "$0")/.."
gui=ON
[ -f /usr/lib/x86_64-linux-gnu/cmake/QCustomPlotQt6/QCustomPlotQt6Config.cmake ] || \
  [ -n "$(find /usr/lib -path '*cmake/QCustomPlotQt6/QCustomPlotQt6Config.cmake' 2>/dev/null | head -1)" ] || gui=OFF
extra=()
if [ -n "${KVWB_TORCH_PREFIX:-}" ]; then extra+=("-DCMAKE_PREFIX_PATH=${KVWB_TORCH_PREFIX}"); fi
# ccache: paths relative to the checkout, so a fresh clone elsewhere (CI) hits the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B build -G Ninja -DKVWB_BUILD_GUI="$gui" "${extra[@]}" "$@" >/dev/null
cmake --build build -j"$(nproc)"
