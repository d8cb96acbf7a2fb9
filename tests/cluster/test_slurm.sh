#!/bin/bash
# A real Slurm scheduler on this machine (issue #12): starts munged, slurmctld and slurmd
# as a one-node cluster in a temporary folder (process tracking by /proc, no cgroups),
# submits packaging/cluster/quantscope-array.sbatch on the demo model with 3 shards plus
# its merge job, waits for both, checks that the merged results equal a single-process
# run (table.txt except the TIME(s) column, results.json except "seconds"), then stops
# the daemons it started. Exit 77 (ctest SKIP) when the daemons cannot run here (not root,
# Slurm or munge not installed); CI runs as root with both installed (packaging/setup.sh).
#
# Usage: test_slurm.sh QUANTSCOPE_BINARY DEMO_MODEL_DIR SOURCE_DIR
set -uo pipefail

bin=${1:?quantscope binary}
demo=${2:?demo model folder}
src=${3:?source folder}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; dump_logs; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "the Slurm daemons need root here (SlurmUser=root); run the suite as root (CI does)"
for tool in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (apt-get install slurm-wlm munge; packaging/setup.sh test does)"
done
[ -x "$bin" ] || fail "no quantscope binary at $bin"
[ -f "$demo/model.safetensors.index.json" ] || fail "no demo model at $demo"

tmp=$(mktemp -d /tmp/qs-slurm.XXXXXX)
chmod 755 "$tmp"
pids=()
dump_logs() {
  for f in "$tmp"/log/*.log "$tmp"/out/logs/*; do
    [ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
  done
}
cleanup() {
  # Only the daemons this script started, by their pid files.
  for pidfile in "$tmp/run/slurmd.pid" "$tmp/run/slurmctld.pid" "$tmp/run/munged.pid"; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  sleep 0.5
  for pidfile in "$tmp/run/slurmd.pid" "$tmp/run/slurmctld.pid" "$tmp/run/munged.pid"; do
    [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp"/{run,log,state,spool,munge,out}

# munge: a fresh key and socket of our own, so nothing of a system munged is touched.
chmod 700 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
munged --force --key-file="$tmp/munge/munge.key" --socket="$tmp/run/munge.socket" \
       --pid-file="$tmp/run/munged.pid" --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/seed" \
  || skip "munged does not start here: $(tail -n 3 "$tmp/log/munged.log" 2>/dev/null)"

free_port() { python3 - 2>/dev/null <<'EOF' || echo $((20000 + RANDOM % 20000))
import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])
EOF
}
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)
ctld_port=$(free_port)
d_port=$(free_port)
while [ "$d_port" = "$ctld_port" ]; do d_port=$(free_port); done
export SLURM_CONF="$tmp/slurm.conf"
cat > "$SLURM_CONF" <<EOF
ClusterName=qstest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
AuthType=auth/munge
AuthInfo=socket=$tmp/run/munge.socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -c -f "$SLURM_CONF" || skip "slurmctld does not start here: $(tail -n 5 "$tmp/log/slurmctld.log" 2>/dev/null)"
slurmd -f "$SLURM_CONF" || skip "slurmd does not start here: $(tail -n 5 "$tmp/log/slurmd.log" 2>/dev/null)"
ready=""
for _ in $(seq 1 60); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1)
  case "$state" in idle*|mixed*|allocated*) ready=1; break ;; esac
  sleep 0.5
done
[ -n "$ready" ] || skip "the node never became idle (state: ${state:-none}); slurmd log: $(tail -n 5 "$tmp/log/slurmd.log" 2>/dev/null)"
echo "slurm: node $host ($cpus CPUs) idle"

# The array (3 shards) and the dependent merge job, submitted by the script itself.
start=$(date +%s)
submit=$(cd "$tmp" && QS_MODEL="$demo" QS_FORMATS=bf16,bfp8 QS_SHARDS=3 QS_OUT="$tmp/out" QS_BIN="$bin" \
         QS_ARGS="--summary" QS_SBATCH_ARGS="--cpus-per-task=1 --mem=512M --time=5" \
         "$src/packaging/cluster/quantscope-array.sbatch" 2>&1) || fail "submission failed: $submit"
echo "$submit"
array=$(echo "$submit" | sed -n 's/^array job \([0-9]*\) .*/\1/p')
merge=$(echo "$submit" | sed -n 's/.*merge job \([0-9]*\) .*/\1/p')
[ -n "$array" ] && [ -n "$merge" ] || fail "cannot read the job ids from: $submit"

# Wait until neither job is known to the queue any more (both ran, or failed).
for _ in $(seq 1 240); do
  left=$(squeue -h -j "$array,$merge" -o '%i %T %r' 2>/dev/null)
  [ -z "$left" ] && break
  case "$left" in *DependencyNeverSatisfied*) fail "a shard failed, the merge job cannot run: $left" ;; esac
  sleep 0.5
done
[ -z "$left" ] || fail "jobs still queued after 120 s: $left"
echo "slurm: array and merge finished in $(( $(date +%s) - start )) s"

merged="$tmp/out/merged"
[ -f "$merged/results.json" ] || fail "no merged results at $merged"
for k in 1 2 3; do
  ls -d "$tmp/out/shards/results/demo-model/none/"*"-shard-$k-of-3" >/dev/null 2>&1 || fail "no folder of shard $k/3"
done
grep -q "merged 3 shards (16 tensors" "$tmp"/out/logs/quantscope-merge-*.out || fail "the merge job did not report 3 shards"

# One process over everything, for comparison.
"$bin" wq "$demo" -c bf16,bfp8 --summary --results-dir "$tmp/single" >/dev/null 2>"$tmp/log/single.err" \
  || fail "the single-process run failed: $(cat "$tmp/log/single.err")"
single=$(ls -d "$tmp"/single/results/demo-model/none/*)
mask() { sed -E 's/^(  [^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +)[0-9]+\.[0-9]{3}/\1T/' "$1"; }
diff <(mask "$single/table.txt") <(mask "$merged/table.txt") || fail "table.txt differs from the single run"
diff <(grep -v '"seconds":' "$single/results.json") <(grep -v '"seconds":' "$merged/results.json") \
  || fail "results.json differs from the single run"
cmp -s "$single/compression_config.used.json" "$merged/compression_config.used.json" || fail "compression_config.used.json differs"
echo "PASS: 3 Slurm array tasks + merge job = one process (table.txt, results.json)"
