#!/usr/bin/env bash
# README command 2 (and CI): install what is missing, build everything, run the whole test suite.
# Real-data tests read ../shared (models, texts) and skip with a message where it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900
# Fuzz smoke (fuzz/README.md): each libFuzzer target ~10 s from its seeds; fails on a defect not
# already kept in fuzz/crashes/; prints "skipped" where clang or the libFuzzer runtime is missing.
tools/fuzz.sh --smoke
