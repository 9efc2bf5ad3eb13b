#!/usr/bin/env bash
# Foundation benchmarks (issue 2), one command: bench/run.sh
# - playground: deploy + start to all Up, and start alone, against MariaDB's own start time (the floor)
# - topology validate on a generated 1,000-instance topology, as a command and warm in one JVM
# - the agent's resident memory with the playground running
# Results: bench/results/foundation.md, with the machine noted. Uses its own $FLOTILLA_HOME and port offset.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/setup.sh"
flotilla_require_jdk
flotilla_require_packages "${FLOTILLA_PLAYGROUND_PACKAGES[@]}"
flotilla_build_if_needed

work=$(mktemp -d /tmp/flotilla-bench.XXXXXX)
export FLOTILLA_HOME=$work/home
flotilla="$FLOTILLA_DIST/bin/flotilla"
export FLOTILLA_JAVA="$JAVA_HOME/bin/java"
offset=${BENCH_PORT_OFFSET:-30000}
runs=${BENCH_RUNS:-3}
cleanup() {
  "$flotilla" cluster destroy playground --yes >/dev/null 2>&1 || true
  pkill -f "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "MariaDB floor: mariadbd from launch to answering, $runs runs" >&2
floor_runs=()
mkdir -p "$work/floor"
start=$(now)
mariadb-install-db --no-defaults --datadir="$work/floor/data" --auth-root-authentication-method=normal \
  --skip-test-db --user="$(id -un)" >/dev/null 2>&1
install_db=$(elapsed "$start" "$(now)")
for _ in $(seq "$runs"); do
  start=$(now)
  mariadbd --no-defaults --datadir="$work/floor/data" --socket="$work/floor/s.sock" --port=$((offset + 3999)) \
    --bind-address=127.0.0.1 --user="$(id -un)" --innodb-buffer-pool-size=64M --pid-file="$work/floor/m.pid" \
    >"$work/floor/err.log" 2>&1 &
  until mariadb-admin --no-defaults -S "$work/floor/s.sock" -u root ping >/dev/null 2>&1; do sleep 0.02; done
  floor_runs+=("$(elapsed "$start" "$(now)")")
  mariadb-admin --no-defaults -S "$work/floor/s.sock" -u root shutdown
  wait
done
floor=$(printf '%s\n' "${floor_runs[@]}" | median)

echo "Playground: deploy and start to all Up, $runs runs" >&2
full_runs=()
start_runs=()
for _ in $(seq "$runs"); do
  start=$(now)
  "$flotilla" playground --detach --port-offset "$offset" --format json >"$work/playground.json" 2>"$work/playground.err"
  full_runs+=("$(elapsed "$start" "$(now)")")
  grep -q '"status" : "Up"' "$work/playground.json"
  ! grep -q '"status" : "\(Down\|Unready\|Failed\)"' "$work/playground.json"
  "$flotilla" cluster stop playground >/dev/null 2>&1
  start=$(now)
  "$flotilla" cluster start playground >/dev/null 2>&1
  start_runs+=("$(elapsed "$start" "$(now)")")
  agent_pid=$(pgrep -f "AgentMain --dir $FLOTILLA_HOME" | head -1)
  rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$agent_pid/status")
  "$flotilla" cluster destroy playground --yes >/dev/null 2>&1
done
full=$(printf '%s\n' "${full_runs[@]}" | median)
started=$(printf '%s\n' "${start_runs[@]}" | median)

echo "topology validate: a generated 1,000-instance topology" >&2
cp="$FLOTILLA_DIST/lib/*"
"$FLOTILLA_JAVA" -cp "$cp" "$root/bench/GenerateTopology.java" 1000 >"$work/t1000.yaml"
validate_runs=()
for _ in $(seq 5); do
  start=$(now)
  "$flotilla" topology validate "$work/t1000.yaml" >/dev/null
  validate_runs+=("$(elapsed "$start" "$(now)")")
done
validate=$(printf '%s\n' "${validate_runs[@]}" | median)
read -r instances warm_ms < <("$FLOTILLA_JAVA" -cp "$cp" "$root/bench/ParseTopology.java" "$work/t1000.yaml")

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
cat >"$root/bench/results/foundation.md" <<REPORT
# Foundation benchmarks

Run with \`bench/run.sh\` on $(date -u +%Y-%m-%d) — $(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GB,
$(. /etc/os-release && echo "$PRETTY_NAME"), $("$FLOTILLA_JAVA" -version 2>&1 | head -1), MariaDB $(mariadbd --version | awk '{print $3}').
Medians of $runs runs (validate: 5).

| measure | result | goal | peer / floor | ratio |
|---|---|---|---|---|
| playground deploy + start to all Up (\`flotilla playground --detach\`, 7 instances) | ${full} s | < 15 s | MariaDB's own start: ${floor} s | $(ratio "$full" "$floor")x |
| (floor) initialising one MariaDB data dir with \`mariadb-install-db\` | ${install_db} s | | | |
| cluster start alone (deployed playground, stop then start) | ${started} s | | MariaDB's own start: ${floor} s | $(ratio "$started" "$floor")x |
| \`flotilla topology validate\` of a generated 1,000-instance topology ($instances instances with exporters), whole command | ${validate} s | < 1 s | | |
| the same parse and validation, warm, in one JVM | ${warm_ms} ms | | | |
| agent resident memory (VmRSS) with the playground running | $((rss_kb / 1024)) MB | < 80 MB | | |

MariaDB's start is \`mariadbd\` on an initialised data dir, from launch to answering \`mariadb-admin ping\`.
The playground's figure includes initialising three data dirs (mariadb-install-db), starting the
agent, the replicas joining with GTID, HAProxy seeing every backend up, Prometheus ready and the
JVM start of the CLI itself.
REPORT
cat "$root/bench/results/foundation.md"
