#!/usr/bin/env bash
# kvwb-cli precision-bound end to end on a copy of the demo project (the HNF precision bound against
# measured bits, docs/PRECISION_BOUND.md; seconds on a CPU): it runs, prints a finite fitted c at
# every eps, its CSV has one row per target and eps, and a capture without queries or a bad eps is
# refused. Usage: CLI SRC
cli=$1 src=$2
source "$(dirname "$0")/checks.sh"

cp "$src/datasets/demo.kvw" "$work/p.kvw"
out=$("$cli" precision-bound "$work/p.kvw" --capture tinystories --tokens 128 --eps 1e-3,1e-2,1e-1 --csv "$work/b.csv" 2>&1); rc=$?
check "runs" test "$rc" = 0
check "header" contains "$out" "^precision bound on capture tinystories (128 tokens, 40 targets), c = 4"
summary=$(awk '/^eps /{on=1; next} on && NF == 7' <<<"$out")
check "a summary row per eps" test "$(wc -l <<<"$summary")" = 3
check "finite fitted c at every eps" test "$(awk '$6 + 0 > 0 && $7 + 0 > 0 && $6 !~ /nan|inf/ && $7 !~ /nan|inf/' <<<"$summary" | wc -l)" = 3
check "csv header" test "$(head -1 "$work/b.csv")" = "capture,tokens,layer,head,kind,eps,kappa,diameter,predicted_bits,measured_bits,c_tight"
check "csv: a row per target and eps" test "$(tail -n +2 "$work/b.csv" | wc -l)" = 120
check "csv: values predict nothing" test "$(awk -F, '$5 == "V" && ($7 != 0 || $9 != "")' "$work/b.csv" | wc -l)" = 0
check "csv: every target measured" test "$(awk -F, 'NR > 1 && $10 == ""' "$work/b.csv" | wc -l)" = 0
out=$("$cli" precision-bound "$work/p.kvw" --eps 0 2>&1); rc=$?
check "eps 0 is a usage error" test "$rc" != 0 -a "$rc" != 1
out=$("$cli" precision-bound "$work/p.kvw" --capture nosuch 2>&1); rc=$?
check "unknown capture exits 1" test "$rc" = 1
check "unknown capture named" contains "$out" "nosuch"

report
