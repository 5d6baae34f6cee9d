#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang + ASan + UBSan, in build-fuzz/) and runs each from its
# seed corpus (fuzz/corpus/<target>) with its dictionary (fuzz/dict). See fuzz/README.md.
# Usage: tools/fuzz.sh [--smoke | --campaign N] [--max-time S] [TARGET...]
#   --smoke       (default) 20,000 runs or 10 s per target; what tools/test.sh runs
#   --campaign N  N executions per target (each capped at S seconds with --max-time)
#   --signatures  only rewrite the signature (.txt) of every reproducer in fuzz/crashes/
# Prints per target: executions, exec/s, coverage (cov/ft), corpus size, time, defects; the table
# also goes to build-fuzz/fuzz-work/summary.txt. Runs keep going past a crash (fork mode, one
# worker). A defect whose signature (error kind + first core function) matches a reproducer kept in
# fuzz/crashes/<target>/ is listed as known; a new one is minimized, saved there, and fails the run
# (exit 1). Inputs the fuzzer finds go to build-fuzz/fuzz-work/<target>/corpus, not to the seeds.
# Env: KVWB_FUZZ_JOBS (build jobs, default nproc), KVWB_FUZZ_NICE (default 10).
# Exits 0 with "skipped" when clang or the libFuzzer runtime is not installed.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=smoke runs=20000 maxtime=10 targets=()
input_timeout=2  # seconds: an input that takes longer is a defect (issue 14)
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) mode=smoke runs=20000 maxtime=10 ;;
    --campaign) mode=campaign runs="$2" maxtime=0; shift ;;
    --max-time) maxtime="$2"; shift ;;
    --signatures) mode=signatures ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "tools/fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
all=(npy_header npy_file npz safetensors hdf5_dump journal journal_records project tokenizer_json
     tokenizer_bin model_config)
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

if ! command -v clang++ >/dev/null 2>&1; then
  echo "kvwb fuzz: skipped: clang++ is not installed (tools/install_deps.sh installs clang)"
  exit 0
fi
rt="$(clang++ -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a"
if [ ! -f "$rt" ]; then
  echo "kvwb fuzz: skipped: no libFuzzer runtime ($rt; Debian: libclang-rt-<version>-dev)"
  exit 0
fi

nice_cmd=(nice -n "${KVWB_FUZZ_NICE:-10}")
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
if [ ! -f build-fuzz/build.ninja ]; then
  "${nice_cmd[@]}" cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DKVWB_FUZZ=ON >/dev/null || exit 1
fi
"${nice_cmd[@]}" cmake --build build-fuzz -j"${KVWB_FUZZ_JOBS:-$(nproc)}" >/dev/null || {
  echo "kvwb fuzz: build failed (cmake --build build-fuzz)" >&2; exit 1; }

# Every sanitizer report is fatal; leaks inside libhdf5 itself are suppressed (fuzz/lsan.supp).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_stack_use_after_return=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}"

# "<error kind> @ <first kvwb::core function on the stack>" of a reproducer: stable across edits
# that move lines, distinct across defects. Numbers and addresses are dropped from the error line.
# A defect inside libhdf5 (a frame of it above the first core frame) is one class whatever the
# entry point: HDF5 1.10's own bugs on damaged files, which core cannot patch (issue 14), so a new
# way into them does not fail CI; a defect in our code always has its own signature.
# The classifying run unwinds the fatal stack slowly (fast_unwind_on_fatal=0) but allocations
# quickly: with the slow unwinder on malloc too, a stack overflow prints no frames at all and
# would look like a defect of unknown origin. Out-of-memory and timeout reproducers are the
# exception (a replayed timeout may run out of memory first): their stack is an allocation's,
# which the fast unwinder cuts at the first frame of libhdf5 (built without frame pointers).
# An input that runs clean alone gives " @ (no core frame)": what crashed was the fuzzing
# worker's state after earlier inputs, and fork mode does not keep that worker's log.
signature() {
  local unwind=fast_unwind_on_fatal=0
  case "$(basename "$2")" in oom-*|timeout-*) unwind+=":fast_unwind_on_malloc=0" ;; esac
  ASAN_OPTIONS="$ASAN_OPTIONS:$unwind" \
    "$1" -runs=1 -timeout="$input_timeout" -rss_limit_mb=2048 "$2" 2>&1 |
    awk '/ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant broken|terminate called/ && !e {e=$0}
         / in .*kvwb::core::/ && !f {f = substr($0, index($0, "kvwb::core::"));
                                      gsub(/\(anonymous namespace\)::/, "", f); sub(/[(<\[].*/, "", f)}
         /^ *#[0-9]+ .*libhdf5/ && !f {h = 1}
         END {sub(/.*ERROR: /, "", e); sub(/.*runtime error: /, "runtime error: ", e);
              sub(/^\/[^ ]*: /, "", e); gsub(/0x[0-9a-f]+|[0-9]+/, "", e); gsub(/  +/, " ", e);
              if (h) print "defect inside libhdf5 (HDF5 1.10 on a damaged file)";
              else print e " @ " (f == "" ? "(no core frame)" : f)}'
}

if [ "$mode" = signatures ]; then
  for t in "${targets[@]}"; do
    for a in fuzz/crashes/"$t"/*; do
      case "$a" in *.txt) continue ;; esac
      [ -f "$a" ] || continue
      signature "build-fuzz/fuzz/fuzz_$t" "$a" >"$a.txt"
      echo "$a: $(cat "$a.txt")"
    done
  done
  exit 0
fi

work=build-fuzz/fuzz-work
mkdir -p "$work"
summary="$work/summary.txt"
printf '%-16s %9s %7s %6s %6s %5s %6s  %s\n' target execs exec/s cov ft corp time defects | tee "$summary"
failed=0
for t in "${targets[@]}"; do
  bin="build-fuzz/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "kvwb fuzz: no target $t" >&2; failed=1; continue; }
  dir="$work/$t"
  rm -rf "$dir/artifacts"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  dict=()
  case "$t" in
    npy_header|npy_file) dict=(-dict=fuzz/dict/npy.dict) ;;
    npz) cat fuzz/dict/zip.dict fuzz/dict/npy.dict >"$dir/zip+npy.dict"; dict=(-dict="$dir/zip+npy.dict") ;;
    safetensors) dict=(-dict=fuzz/dict/safetensors.dict) ;;
    journal|journal_records) dict=(-dict=fuzz/dict/journal.dict) ;;
    tokenizer_json|model_config) dict=(-dict=fuzz/dict/model.dict) ;;
  esac
  args=(-runs="$runs" -timeout="$input_timeout" -rss_limit_mb=2048 -fork=1 -ignore_crashes=1 -ignore_timeouts=1
        -ignore_ooms=1 -artifact_prefix="$dir/artifacts/" "${dict[@]}")
  [ "$maxtime" != 0 ] && args+=(-max_total_time="$maxtime")
  t0=$(date +%s.%N)
  "${nice_cmd[@]}" "$bin" "${args[@]}" "$dir/corpus" "fuzz/corpus/$t" >"$dir/log.txt" 2>&1
  rc=$?
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  last=$(grep -E '^#[0-9]+: cov:' "$dir/log.txt" | tail -1)  # "#N: cov: C ft: F corp: K ..."
  execs=$(echo "$last" | sed -nE 's/^#([0-9]+):.*/\1/p')
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | awk '{print $2}')
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | awk '{print $2}')
  corp=$(echo "$last" | grep -oE 'corp: [0-9]+' | awk '{print $2}')
  speed=$(awk -v n="${execs:-0}" -v s="$secs" 'BEGIN {printf "%d", (s > 0 ? n / s : 0)}')
  # Known signatures: those of the reproducers kept for this target.
  sigs=()
  for k in fuzz/crashes/"$t"/*.txt; do [ -f "$k" ] && sigs+=("$(cat "$k")"); done
  defects="" known=0 unreproduced=0
  for a in "$dir"/artifacts/*; do
    [ -f "$a" ] || continue
    name=$(basename "$a")
    case "$name" in crash-*|leak-*|timeout-*|oom-*) ;; *) continue ;; esac
    sig=$(signature "$bin" "$a")
    if [ "$sig" = " @ (no core frame)" ]; then unreproduced=$((unreproduced + 1)); continue; fi
    seen=0
    for s in "${sigs[@]}"; do [ "$s" = "$sig" ] && seen=1; done
    if [ $seen = 1 ]; then known=$((known + 1)); continue; fi
    sigs+=("$sig")
    mkdir -p "fuzz/crashes/$t"
    out="fuzz/crashes/$t/$name"
    if [[ "$name" == crash-* || "$name" == leak-* ]] &&
       "${nice_cmd[@]}" "$bin" -minimize_crash=1 -runs=20000 -timeout="$input_timeout" -rss_limit_mb=2048 \
         -exact_artifact_path="$out" "$a" >"$dir/minimize-$name.txt" 2>&1 && [ -f "$out" ]; then :
    else cp "$a" "$out"; fi
    echo "$sig" >"$out.txt"
    defects+="NEW $out "
    echo "    NEW $name: $sig"
  done
  [ $known -gt 0 ] && defects+="($known known) "
  [ $unreproduced -gt 0 ] && defects+="($unreproduced not reproducible alone) "
  if [[ "$defects" == *NEW* ]]; then failed=1; fi
  if [ -z "$execs" ]; then failed=1; defects+="no stats, exit $rc (see $dir/log.txt)"; fi
  printf '%-16s %9s %7s %6s %6s %5s %5.0fs  %s\n' "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "$secs" "${defects:--}" | tee -a "$summary"
done
if [ $failed -eq 0 ]; then
  echo "kvwb fuzz: $mode: no new defect in ${#targets[@]} targets (known ones: fuzz/crashes/)"
else
  echo "kvwb fuzz: $mode: NEW DEFECTS (reproducers under fuzz/crashes/, logs under $work/)"
fi
exit $failed
