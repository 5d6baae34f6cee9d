#!/usr/bin/env bash
# Sweeps across processes, for real. A small sweep (tests/cluster/sweep.json: the demo preset's
# methods on two layers of the demo capture) runs in one process, as `sweep --local-shards 2`, and
# as a Slurm job array of 3 shards plus its merge job on a real single-node Slurm started here from
# Debian's packages (munged, slurmctld and slurmd as root, with tests/cluster/slurm.conf.in). Each
# merged project must export the single process's rows (timings and device aside). One array task
# is killed mid-run: the merge job reports its missing jobs, the task is rerun alone and resumes its
# shard, and the merge again equals the single process. sbatch missing or failing gives Slurm's own
# message. The daemons are stopped by their PIDs. When Slurm cannot start, the test fails with the
# daemons' logs (it does not skip). Every process runs one thread (OMP_NUM_THREADS=1): CPU results
# depend in their last digits on the thread count, and the comparisons are exact.
# Usage: test_cluster.sh CLI SRC
set -uo pipefail
cli=$(readlink -f "$1") src=$(readlink -f "$2")
export PATH="$PATH:/usr/sbin:/sbin" OMP_NUM_THREADS=1 LC_ALL=C  # C: comm's order is Python's sorted()
work=$(mktemp -d)
chmod 755 "$work"  # munged wants the folders above its socket searchable by everyone
mkdir -p "$work"/{run,log,state,spool,key}
chmod 700 "$work/key"
daemons=() submitted=()
cleanup() {
  if [ "${#submitted[@]}" -gt 0 ]; then
    scancel "${submitted[@]}" 2>/dev/null
    for _ in $(seq 50); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do kill "${daemons[i]}" 2>/dev/null; wait "${daemons[i]}" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for log in "$work"/log/*; do echo "---- $log"; tail -n 40 "$log"; done
  exit 1
}
passed=0 failed=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
contains() { grep -q -- "$2" <<<"$1"; }
wait_for() {  # wait_for SECONDS WHAT COMMAND...: polls the command every 0.2 s
  local end=$((SECONDS + $1)) what=$2; shift 2
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || fail "timed out after $1 s waiting for $what"
    sleep 0.2
  done
}
# The rows of a project's export as sorted "column=value;..." lines (the export's parameter columns
# are those of the rows it holds), without the columns a merge may change (timings, device).
rows() {
  "$cli" export "$1" --csv - | python3 -c '
import csv, sys
reader = csv.reader(sys.stdin)
header = next(reader)
drop = ("fit_seconds", "decode_ms", "device")
print("\n".join(sorted(";".join(h + "=" + v for h, v in zip(header, r) if v and h not in drop) for r in reader)))'
}

for verb in merge slurm status; do
  check "help $verb" contains "$("$cli" $verb --help 2>&1)" "Usage: kvwb-cli $verb"
done

# ---- a real single-node Slurm
[ "$(id -u)" = 0 ] || fail "must run as root to start slurmd (CI does)"
for c in munged slurmctld slurmd sbatch squeue scancel python3; do
  command -v "$c" >/dev/null || fail "$c is not installed (tools/install_deps.sh installs slurmctld slurmd slurm-client munge)"
done
if command -v mungekey >/dev/null; then
  mungekey --create --keyfile="$work/key/munge.key" >"$work/log/mungekey.log" 2>&1
else
  dd if=/dev/urandom of="$work/key/munge.key" bs=1024 count=1 2>/dev/null
fi
chmod 400 "$work/key/munge.key"
munged -F --key-file="$work/key/munge.key" --socket="$work/run/munge.socket" --pid-file="$work/run/munged.pid" \
  --log-file="$work/log/munged.log" --seed-file="$work/key/munged.seed" 2>>"$work/log/munged.log" &
daemons+=($!)
wait_for 10 "munged's socket" test -S "$work/run/munge.socket"
read -r ctld_port d_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
sed -e "s|@DIR@|$work|g" -e "s|@CTLD_PORT@|$ctld_port|" -e "s|@D_PORT@|$d_port|" -e "s|@CPUS@|$(nproc)|" \
  "$src/tests/cluster/slurm.conf.in" >"$work/slurm.conf"
export SLURM_CONF="$work/slurm.conf"
slurmctld -D -c >>"$work/log/slurmctld.stderr" 2>&1 &
daemons+=($!)
slurmd -D -N kvwbnode >>"$work/log/slurmd.stderr" 2>&1 &
daemons+=($!)
node_idle() { [ "$(sinfo -h -o %t 2>/dev/null)" = idle ]; }
wait_for 60 "Slurm's node to be idle (sinfo: $(sinfo 2>&1 | tail -1))" node_idle
echo "slurm up in ${SECONDS} s"

# ---- the same sweep by one process, the reference
for d in single local slurm bad; do
  mkdir "$work/$d"
  cp "$src/datasets/demo.kvw" "$work/$d/p.kvw"
  cp -r "$src/datasets/stories260K-hf" "$work/$d/"  # named relative to the project
done
sweep=("$src/tests/cluster/sweep.json")
start=$SECONDS
"$cli" sweep "$work/single/p.kvw" "${sweep[@]}" >"$work/log/single.out" 2>&1 || fail "single-process sweep"
echo "single process: $((SECONDS - start)) s"
reference=$(rows "$work/single/p.kvw")
check "reference has rows" test "$(wc -l <<<"$reference")" -gt 100

# ---- two shard processes on this machine, merged
start=$SECONDS
out=$("$cli" sweep "$work/local/p.kvw" "${sweep[@]}" --local-shards 2 2>&1); rc=$?
echo "--local-shards 2: $((SECONDS - start)) s"
check "local shards exit 0" test "$rc" = 0
check "local shards merged every job" contains "$out" "9 job(s) planned, 0 were in the project, 9 merged"
check "local shards equal the single process" test "$(rows "$work/local/p.kvw")" = "$reference"

# ---- sbatch missing or failing: Slurm's own message
out=$(PATH=/nonexistent "$cli" slurm "$work/bad/p.kvw" "${sweep[@]}" --tasks 2 --submit 2>&1); rc=$?
check "no sbatch exits 1" test "$rc" = 1
check "no sbatch says so" contains "$out" "array.sbatch: cannot run sbatch (sbatch: command not found)"
out=$("$cli" slurm "$work/bad/p.kvw" "${sweep[@]}" --tasks 2 --partition nosuch --submit 2>&1); rc=$?
check "sbatch failing exits 1" test "$rc" = 1
check "sbatch failing gives Slurm's error" contains "$out" "sbatch failed (exit 1): sbatch: error: invalid partition specified: nosuch"

# ---- the Slurm array: 3 shards + the merge job (afterany)
start=$SECONDS
project="$work/slurm/p.kvw"
scripts="$project.cluster.slurm"
# The task to kill: the shard holding the SIREN job (the slowest, and its shard's last).
victim=""
for i in 0 1 2; do
  "$cli" sweep "$project" "${sweep[@]}" --shard "$i/3" --dry-run | grep -q siren && victim=$i
done
planned=$("$cli" sweep "$project" "${sweep[@]}" --shard "$victim/3" --dry-run | tail -1 | cut -d' ' -f1)
out=$("$cli" slurm "$project" "${sweep[@]}" --tasks 3 --submit 2>&1) || fail "kvwb-cli slurm --submit: $out"
array=$(sed -n 's/^submitted array job \([0-9]*\) and merge job \([0-9]*\).*/\1/p' <<<"$out")
merge=$(sed -n 's/^submitted array job \([0-9]*\) and merge job \([0-9]*\).*/\2/p' <<<"$out")
[ -n "$array" ] && [ -n "$merge" ] || fail "no job ids in: $out"
submitted=("$array" "$merge")
# Followed as the GUI's Jobs panel follows it (core::followClusterSweep), until the merge has ended.
follow_log="$work/follow.log"
"$cli" status "$project" --follow cluster >"$follow_log" 2>&1 &
follower=$!
check "array script" grep -q "^#SBATCH --array=0-2$" "$scripts/array.sbatch"
check "array calls the cli by its path" grep -q "^kvwb_cli=$cli$" "$scripts/array.sbatch"
check "merge depends on the array, afterany" contains "$(scontrol show job "$merge")" "Dependency=afterany:${array}_\*"
shard_file="$project.cluster.shard-$victim-of-3"
shard_line() { "$cli" status "$project" | grep "^  shard $victim/3 "; }
# Killed once it has committed a job (or, alone in its shard, once it has started): read straight
# from its shard file, one "results" record per job, so the poll is quicker than any job.
killable() {
  [ -f "$shard_file" ] && [ "$(grep -ac '"type":"results"' "$shard_file")" -ge $((planned > 1 ? 1 : 0)) ]
}
wait_for 300 "task $victim to commit a job" killable
scancel "${array}_$victim"
echo "killed task ${array}_$victim: $(shard_line)"
merge_gone() { [ -z "$(squeue -h -j "$merge" 2>/dev/null)" ]; }
wait_for 600 "the merge job" merge_gone
echo "array and merge: $((SECONDS - start)) s"
follower_gone() { ! kill -0 "$follower" 2>/dev/null; }
wait_for 60 "status --follow to end with the merge" follower_gone
wait "$follower"; rc=$?
follow=$(cat "$follow_log")
echo "$follow" | tail -5
check "status --follow ends when the merge has" test "$rc" = 0
check "status --follow reports the merge job's end" contains "$follow" "merge job $merge  *FAILED"
log=$(cat "$scripts/logs/merge-$merge.out" 2>/dev/null)
echo "$log"
check "merge job ran" contains "$log" "job(s) planned"
check "merge job reports the killed task's missing jobs" contains "$log" "missing (rerun their shards"
check "merge job names the killed shard" contains "$log" "shard $victim/3 "
check "merged rows are a part of the reference" test -z "$(comm -23 <(rows "$project") <(echo "$reference"))"
check "killed task left rows to do" test "$(rows "$project")" != "$reference"
status=$("$cli" status "$project")
echo "$status"
check "status names the array" contains "$status" "Slurm array job $array, merge job $merge"
check "status shows the killed task" contains "$status" "task ${array}_$victim  *CANCELLED"

# ---- rerun the killed task alone, then the merge: identical to the single process
rerun=$(sbatch --parsable --array="$victim" "$scripts/array.sbatch") || fail "rerunning task $victim"
submitted+=("$rerun")
rerun_gone() { [ -z "$(squeue -h -j "$rerun" 2>/dev/null)" ]; }
wait_for 300 "the rerun task" rerun_gone
task_log=$(cat "$scripts/logs/task-${rerun}_$victim.out" 2>/dev/null)
check "rerun resumed its shard" contains "$task_log" "shard $victim/3 on .*[1-9][0-9]* already done"
remerge=$(sbatch --parsable "$scripts/merge.sbatch") || fail "submitting the merge again"
submitted+=("$remerge")
remerge_gone() { [ -z "$(squeue -h -j "$remerge" 2>/dev/null)" ]; }
wait_for 120 "the second merge job" remerge_gone
log=$(cat "$scripts/logs/merge-$remerge.out" 2>/dev/null)
check "second merge is complete" contains "$log" "9 job(s) planned"
check "second merge misses nothing" test "$(grep -c missing <<<"$log")" = 0
check "slurm array equals the single process" test "$(rows "$project")" = "$reference"
out=$("$cli" merge "$project" "$project".cluster.shard-{0..2}-of-3); rc=$?
check "merging again adds nothing" contains "$out" "9 were in the project, 0 merged"
check "merging again exits 0" test "$rc" = 0
status=$("$cli" status "$project")
echo "$status"
check "status shows every shard done" test "$(grep -c ' \([0-9]*\)/\1 job(s) ' <<<"$status")" = 3

echo "cluster: $passed passed, $failed failed (${SECONDS} s)"
[ "$failed" = 0 ]
