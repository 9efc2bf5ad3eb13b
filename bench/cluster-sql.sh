#!/usr/bin/env bash
# Cluster SQL benchmarks (issue 4), one command: bench/cluster-sql.sh
# - p50/p99 of SELECT * FROM CLUSTER_INFO and of SELECT * FROM CLUSTER_LOAD through `flotilla serve --cluster`
#   and MariaDB Connector/J, with 1, 10 and 100 real agents (run in one JVM by bench/ClusterSqlAgents.java,
#   each on its own loopback address 127.77.0.x with its own directory and token, supervising a real Alertmanager)
# - p50/p99 of SET CONFIG mariadb max_connections = N on the playground's 3 MariaDB (real agent, real MariaDB)
# Results: bench/results/cluster-sql.md, with the machine noted. Uses its own $FLOTILLA_HOME; ports 37000-38999
# (serve 37406/37407, agents 37760, Alertmanagers 37093, etcd 37095/37096); the playground picks its own offset.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/setup.sh"
flotilla_require_jdk
flotilla_require_packages "${FLOTILLA_PLAYGROUND_PACKAGES[@]}" prometheus-alertmanager etcd-server
flotilla_build_if_needed

# Short: HAProxy refuses a stats socket path over 97 characters.
work=$(mktemp -d /tmp/fsb.XXXXXX)
flotilla="$FLOTILLA_DIST/bin/flotilla"
export FLOTILLA_JAVA="$JAVA_HOME/bin/java"
java=$FLOTILLA_JAVA
cp="$FLOTILLA_DIST/lib/*"
sizes=${BENCH_SIZES:-1 10 100}
runs=${BENCH_RUNS:-3}
queries=${BENCH_QUERIES:-200}
warmup=${BENCH_WARMUP:-50}
set_runs=${BENCH_SET_RUNS:-20}
serve_port=${BENCH_SERVE_PORT:-37406}
agent_port=37760
alertmanager_port=37093
largest=$(printf '%s\n' $sizes | sort -n | tail -1)
playground_home=$work/p
background=()

cleanup() {
  local pid
  for pid in "${background[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${background[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ -d "$playground_home/clusters/playground" ]; then
    FLOTILLA_HOME=$playground_home "$flotilla" cluster destroy playground --yes >/dev/null 2>&1 || true
  fi
  if [ -n "${BENCH_KEEP:-}" ]; then
    echo "kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts `flotilla serve --cluster NAME` on PORT with FLOTILLA_HOME=HOME; waits until it listens.
serve() {
  local home=$1 name=$2 port=$3
  FLOTILLA_HOME=$home "$flotilla" serve --cluster "$name" --listen "127.0.0.1:$port" >"$work/serve-$name.log" 2>&1 &
  serve_pid=$!
  background+=("$serve_pid")
  for _ in $(seq 100); do
    grep -q '^Serving' "$work/serve-$name.log" && break
    kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve-$name.log" >&2; exit 1; }
    sleep 0.2
  done
  grep -q '^Serving' "$work/serve-$name.log" || { echo "flotilla serve did not start" >&2; exit 1; }
  FLOTILLA_HOME=$home "$flotilla" cluster password "$name" >"$work/password-$name"
  chmod 600 "$work/password-$name"
}

stop_serve() {
  kill "$serve_pid"
  wait "$serve_pid" 2>/dev/null || true
}

# Times SQL: RUNS client runs of WARMUP + QUERIES statements (every row read); writes the timed ones to OUT.
measure() {
  local port=$1 name=$2 expected=$3 sql=$4 out=$5 runs=$6 warmup=$7 queries=$8 run
  : >"$out"
  : >"$out.err"
  for run in $(seq "$runs"); do
    "$java" -cp "$cp" "$root/bench/ClusterSqlClient.java" "$port" "$name" "$work/password-$name" \
      "$warmup" "$queries" "$expected" "$sql" >>"$out" 2>>"$out.err" || { cat "$out.err" >&2; exit 1; }
  done
}

# Statements that returned a warning (an agent that failed or did not answer in time), and the last row count.
warned() { grep -c '^warning' "$1.err" || true; }
rows_of() { grep '^rows ' "$1.err" | tail -1 | cut -d' ' -f2; }

percentile() { sort -n "$2" | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; printf "%.1f", a[i]}'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "Starting $largest agents in one JVM (each supervising a real Alertmanager)" >&2
# The flags a real agent runs with (ClusterPlanner), but the heap: one JVM holds every agent here.
"$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$cp" -Djava.util.logging.SimpleFormatter.format='%1$tFT%1$tT.%1$tL%1$tz %4$s %3$s: %5$s%n' \
  "$root/bench/ClusterSqlAgents.java" "$work/agents" "$largest" "$agent_port" "$alertmanager_port" \
  "$(printf '%s\n' $sizes | paste -sd,)" "$work/agents-ready" >"$work/agents.log" 2>&1 &
agents_pid=$!
background+=("$agents_pid")
for _ in $(seq 600); do
  [ -f "$work/agents-ready" ] && break
  kill -0 "$agents_pid" 2>/dev/null || { tail -20 "$work/agents.log" >&2; exit 1; }
  sleep 0.2
done
[ -f "$work/agents-ready" ] || { echo "the agents were not ready in 120 s" >&2; tail -20 "$work/agents.log" >&2; exit 1; }
cat "$work/agents-ready" >&2
agents_rss_mb=$(awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$agents_pid/status")

rows=""
for size in $sizes; do
  name=agents$size
  echo "$size agent(s): CLUSTER_INFO and CLUSTER_LOAD, $runs runs of $warmup + $queries queries" >&2
  serve "$work/agents/home" "$name" "$serve_port"
  # Host 1 runs etcd besides its Alertmanager: size + 1 instances; load has at least 9 rows per instance.
  measure "$serve_port" "$name" "$((size + 1))" "SELECT * FROM CLUSTER_INFO" "$work/info-$size" "$runs" "$warmup" "$queries"
  measure "$serve_port" "$name" "+$(((size + 1) * 9))" "SELECT * FROM CLUSTER_LOAD" "$work/load-$size" "$runs" "$warmup" "$queries"
  stop_serve
  rows+="| $size | $((size + 1)) | $(percentile 50 "$work/info-$size") | $(percentile 99 "$work/info-$size") | $(warned "$work/info-$size") | $(percentile 50 "$work/load-$size") | $(percentile 99 "$work/load-$size") | $(warned "$work/load-$size") |"$'\n'
  echo "  CLUSTER_INFO p50 $(percentile 50 "$work/info-$size") ms p99 $(percentile 99 "$work/info-$size") ms;" \
    "CLUSTER_LOAD p50 $(percentile 50 "$work/load-$size") ms p99 $(percentile 99 "$work/load-$size") ms" >&2
done
load_agents=$(cut -d' ' -f1-3 /proc/loadavg)
kill "$agents_pid"
wait "$agents_pid" 2>/dev/null || true

echo "Playground: SET CONFIG mariadb max_connections, $set_runs runs" >&2
mkdir -p "$playground_home"
# It picks the first port offset whose ports are free; a port taken by other work meanwhile fails it: try again.
for attempt in 1 2 3; do
  if FLOTILLA_HOME=$playground_home "$flotilla" playground --detach >"$work/playground.log" 2>&1; then
    break
  fi
  tail -5 "$work/playground.log" >&2
  FLOTILLA_HOME=$playground_home "$flotilla" cluster destroy playground --yes >/dev/null 2>&1 || true
  [ "$attempt" -lt 3 ] || exit 1
  echo "the playground failed to start; trying again" >&2
done
serve "$playground_home" playground "$((serve_port + 1))"
# max_connections = 100, 101, ...: a new value each time.
measure "$((serve_port + 1))" playground 3 "SET CONFIG mariadb max_connections = {i}" "$work/set" 1 2 "$set_runs"
# Every MariaDB has the last value, read back by the agents from the servers themselves.
measure "$((serve_port + 1))" playground 3 \
  "SELECT * FROM CLUSTER_CONFIG WHERE TYPE = 'mariadb' AND \`KEY\` = 'max_connections' AND \`VALUE\` = '$((100 + set_runs + 1))'" \
  "$work/check" 1 0 1
measure "$((serve_port + 1))" playground "+1" "SELECT * FROM CLUSTER_INFO" "$work/info-playground" "$runs" "$warmup" "$queries"
measure "$((serve_port + 1))" playground "+9" "SELECT * FROM CLUSTER_LOAD" "$work/load-playground" "$runs" "$warmup" "$queries"
stop_serve
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
cat >"$root/bench/results/cluster-sql.md" <<REPORT
# Cluster SQL benchmarks

Run with \`bench/cluster-sql.sh\` on $(date -u +%Y-%m-%d) — $(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GB,
$(. /etc/os-release && echo "$PRETTY_NAME"), $("$java" -version 2>&1 | head -1), MariaDB $(mariadbd --version | awk '{print $3}').
Load average (1, 5, 15 min) before: $load_before; after the agent runs: $load_agents; at the end: $load_after
(other work shares this machine).

Times are from MariaDB Connector/J (TLS, every row read) to \`flotilla serve --cluster NAME\`, a JVM of its own.
CLUSTER_INFO and CLUSTER_LOAD: $runs runs of $warmup untimed and $queries timed queries (a fresh client JVM and
connection each run); p50 and p99 over the $((runs * queries)) timed queries. "with a warning": timed queries
that returned one (an agent that failed or did not answer within the 5 s per-node timeout: its time counts);
a query without warnings but with a wrong row count would have stopped the run.

| agents | instances | CLUSTER_INFO p50 (ms) | CLUSTER_INFO p99 (ms) | with a warning | CLUSTER_LOAD p50 (ms) | CLUSTER_LOAD p99 (ms) | with a warning |
|---|---|---|---|---|---|---|---|
${rows}| playground: 1 agent | $(rows_of "$work/info-playground") | $(percentile 50 "$work/info-playground") | $(percentile 99 "$work/info-playground") | $(warned "$work/info-playground") | $(percentile 50 "$work/load-playground") | $(percentile 99 "$work/load-playground") | $(warned "$work/load-playground") |

| measure | p50 | p99 | goal | peer |
|---|---|---|---|---|
| \`SELECT * FROM CLUSTER_LOAD\`, $largest agents | $(percentile 50 "$work/load-$largest") ms | $(percentile 99 "$work/load-$largest") ms | p99 < 100 ms | TiDB: ~1.5 s for 3 nodes (each samples CPU on demand; its docs) |
| \`SET CONFIG mariadb max_connections = N\`, playground's 3 MariaDB ($set_runs runs after 2 untimed; $(warned "$work/set") with a warning) | $(percentile 50 "$work/set") ms | $(percentile 99 "$work/set") ms | < 1 s | |

How the agents run: the $largest agents are real \`Agent\`s (flotilla-agent: their own directory, 0600 token,
bearer-token HTTPS API with a certificate of the clusters' CA, load sampled every second) started in **one JVM** by \`bench/ClusterSqlAgents.java\`, host
\`i\` on its own loopback address 127.77.0.x, all sharing this machine's $(nproc) cores with \`flotilla serve\`
and the client: a fleet of real hosts would give each agent its own machine. Each agent supervises one real
Alertmanager (the catalog's spec, clustering off), registered and started through the agent's API; host 1 also
runs a real single-member etcd (a topology of monitoring only is refused). The clusters \`agents1\`,
\`agents10\`, \`agents100\` are the first 1, 10, 100 of those hosts (topology, meta with the agent ports,
secrets with the agents' token, under the bench's own FLOTILLA_HOME). Agents JVM resident memory with all
running: ${agents_rss_mb} MB.
CLUSTER_INFO asks each instance's agent (\`GET /v1/instances/ID/details\`); CLUSTER_LOAD asks each host's
agent once (\`GET /v1/host/load\`, the last one-second sample); at most 32 calls at once per statement.

The playground (\`flotilla playground --detach\`: 3 MariaDB, HAProxy, Prometheus and exporters under one
agent) answers CLUSTER_INFO with a SQL query to each MariaDB through its agent. SET CONFIG changes the 3
MariaDB one after the other (\`SET GLOBAL\` and the option file, through the agent); afterwards CLUSTER_CONFIG
read the last value back from all three.
REPORT
cat "$root/bench/results/cluster-sql.md"
