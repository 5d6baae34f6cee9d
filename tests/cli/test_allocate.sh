#!/usr/bin/env bash
# kvwb-cli allocate end to end (issue 18) on a small real sweep of the demo project (layer 0,
# SVD ranks and INT8/INT4 KIVI, attention metrics, no model quality: seconds on a CPU): the choice
# fits its budget, its baselines are listed, the CSV has a row per target, the spec it writes is one
# the sweep accepts (the allocation as one job), and
# impossible budgets, unknown metrics and families exit 1 naming the problem. Usage: CLI SRC
cli=$1 src=$2
source "$(dirname "$0")/checks.sh"

out=$("$cli" allocate --help 2>&1); rc=$?
check "help" test "$rc" = 0
cp "$src/datasets/demo.kvw" "$work/p.kvw"
cat >"$work/spec.json" <<'JSON'
{"name": "al", "captures": ["tinystories"], "targets": {"layers": [0], "heads": "all"},
 "seq_lengths": [256], "methods": [{"method": "svd", "grid": {"rank": [1, 2, 4]}},
                                  {"method": "quant", "params": {"axis": "kivi"}, "grid": {"bits": [8, 4]}}],
 "metrics": {"attention": true, "delta_ppl": "none", "quality": "none"}, "device": "cpu"}
JSON
out=$("$cli" sweep "$work/p.kvw" "$work/spec.json" 2>&1); rc=$?
check "sweep" test "$rc" = 0

# 8 targets (layer 0: 4 heads x K, V) of 256 x 8: raw float16 8 x 4096 B; ratio 4: 8192 B.
out=$("$cli" allocate "$work/p.kvw" --run al --ratio 4 --metric attn_out_err --csv "$work/a.csv" --spec "$work/a.json" 2>&1); rc=$?
check "allocate" test "$rc" = 0
check "allocate: table size and budget" contains "$out" "^allocation by attn_out_err: 8 targets x 5 options; budget 8192 B (ratio 4, raw float16 32768 B)"
bytes=$(grep -oE '^bytes [0-9]+ of 8192 B' <<<"$out" | cut -d' ' -f2)
check "allocate: within the budget" test -n "$bytes" -a "${bytes:-99999}" -le 8192
check "allocate: LP bound and gap" contains "$out" "^LP lower bound .* of the optimum)"
check "allocate: baselines at the same budget" contains "$out" "^best uniform  *[0-9][0-9]* "
check "allocate: pyramid baseline" contains "$out" "^pyramid layer budgets (beta 20) "
check "csv header" test "$(head -1 "$work/a.csv")" = "capture,seq_len,layer,head,kind,method,params,bytes,attn_out_err"
check "csv: a row per target" test "$(tail -n +2 "$work/a.csv" | wc -l)" = 8
check "csv bytes are the total" test "$(awk -F, 'NR > 1 { s += $(NF - 1) } END { print s }' "$work/a.csv")" = "$bytes"
out=$("$cli" sweep "$work/p.kvw" "$work/a.json" --dry-run 2>&1); rc=$?
check "spec: the sweep accepts it" test "$rc" = 0
check "spec: its own sweep name" contains "$out" "^al-alloc.tinystories."
check "spec: the allocation as one job" contains "$out" "^al-alloc.tinystories.allocation "

out=$("$cli" allocate "$work/p.kvw" --ratio 4 --csv - 2>&1); rc=$?
check "csv to stdout, every run, attn_kl" test "$rc" = 0 -a "$(wc -l <<<"$out")" = 9
out=$("$cli" allocate "$work/p.kvw" --bytes 100 2>&1); rc=$?
check "budget too small exits 1" test "$rc" = 1
check "budget too small names the least" contains "$out" "p.kvw: .*below the least any choice needs"
out=$("$cli" allocate "$work/p.kvw" --ratio 4 --metric cos_sim 2>&1); rc=$?
check "metric where higher is better exits 1" test "$rc" = 1
out=$("$cli" allocate "$work/p.kvw" --ratio 4 --metric kld 2>&1); rc=$?
check "metric measured per job only exits 1" test "$rc" = 1
check "per job only says so" contains "$out" "no target row of these runs measured kld"
out=$("$cli" allocate "$work/p.kvw" --ratio 4 --families quantisation 2>&1); rc=$?
check "unknown family is a usage error" test "$rc" != 0 -a "$rc" != 1
out=$("$cli" allocate "$work/p.kvw" --ratio 2 --families quantization 2>&1); rc=$?
check "families filter" test "$rc" = 0
check "families filter note" contains "$out" "note: left out by family: svd"

report
