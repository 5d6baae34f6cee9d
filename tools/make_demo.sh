#!/usr/bin/env bash
# Rebuilds datasets/demo.kvw with this project's own extractor: the bundled stories260K model over
# a 512-token window (its trained context) of each prompt text in resources/texts, then the
# structure atlas of every capture. Needs build/app/cli/kvwb-cli (tools/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cli=build/app/cli/kvwb-cli
out=${1:-datasets/demo.kvw}
rm -f "$out" "$out-journal"
for text in tinystories fiction conversation code technical; do
  "$cli" extract --model datasets/stories260K-hf --text "resources/texts/$text.txt" --tokens 512 \
    --project "$out" --name "$text" --label "$text" --device cpu
done
"$cli" analyze "$out" --device cpu
"$cli" info "$out"
