#!/usr/bin/env bash
# SSH deploy benchmark (issue 3), one command: bench/ssh-deploy.sh  (as root)
# Deploys the same cluster to 3 and to 10 test hosts (network namespaces with their own sshd, made
# by flotilla-testing's TestHosts) with Flotilla and with an Ansible playbook doing the same steps
# (bench/ansible/), and copies the same bytes with tar over ssh to every host at once (the floor).
# Records the wall times, the ratio, Flotilla's agent install phase against the floor, and the peak
# number of open file descriptors of Flotilla's control process. Results: bench/results/ssh-deploy.md.
#
# BENCH_RUNS      runs per tool and size, medians reported (default 3)
# BENCH_SIZES     host counts (default "3 10"; at most 10 hosts under the prefix)
# BENCH_PREFIX    test host prefix (default fbn)
# BENCH_TOOLS     what to run (default "flotilla ansible floor"; the floor needs a Flotilla run first)
# BENCH_FLOTILLA_DEPLOY_FLAGS  extra flags for `flotilla cluster deploy` (default none)
# BENCH_KEEP=1    keep the work folder (logs, inventories, journals) and print where it is
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/setup.sh"
if [ "$(id -u)" -ne 0 ]; then
  echo "bench/ssh-deploy.sh needs root: test hosts are network namespaces with their own sshd." >&2
  exit 1
fi
flotilla_require_jdk
flotilla_require_packages "${FLOTILLA_PLAYGROUND_PACKAGES[@]}" openssh-server openssh-client ansible
flotilla_build_if_needed
testing_jar="$root/flotilla-testing/target/flotilla-testing-$FLOTILLA_VERSION.jar"
if [ ! -f "$testing_jar" ]; then
  (cd "$root" && mvn -q -B package -DskipTests -Dspotless.check.skip=true -pl flotilla-testing) >&2
fi

runs=${BENCH_RUNS:-3}
sizes=${BENCH_SIZES:-"3 10"}
prefix=${BENCH_PREFIX:-fbn}
deploy_flags=${BENCH_FLOTILLA_DEPLOY_FLAGS:-}
tools=${BENCH_TOOLS:-flotilla ansible floor}
runs_tool() { [[ " $tools " == *" $1 "* ]]; }
max=0
for n in $sizes; do [ "$n" -gt "$max" ] && max=$n; done
if [ "$max" -gt 10 ] || [ "$max" -lt 2 ]; then
  echo "BENCH_SIZES must be host counts between 2 and 10, not '$sizes'" >&2
  exit 1
fi

work=$(mktemp -d /tmp/flotilla-ssh-bench.XXXXXX)
chmod 700 "$work"
flotilla="$FLOTILLA_DIST/bin/flotilla"
export FLOTILLA_JAVA="$JAVA_HOME/bin/java"
# Whatever Flotilla caches between deploys (built artefacts) is kept across runs, as on a control machine.
export FLOTILLA_CACHE="$work/cache"
export ANSIBLE_CONFIG="$root/bench/ansible/ansible.cfg" ANSIBLE_LOCAL_TEMP="$work/ansible-local" ANSIBLE_NOCOLOR=1
hosts_pid=
cli_pid=
cleanup() {
  trap - EXIT INT TERM
  # A CLI still running (started in the background to sample its descriptors) stops first.
  if [ -n "$cli_pid" ]; then
    kill -TERM "$cli_pid" 2>/dev/null || true
    wait "$cli_pid" 2>/dev/null || true
  fi
  # Ansible's ssh ControlMaster processes, each by its socket.
  for socket in "$work"/cp-*/*; do
    [ -S "$socket" ] && ssh -o ControlPath="$socket" -O exit dummy >/dev/null 2>&1 || true
  done
  # TestHosts' shutdown hook kills every process of the hosts and removes namespaces and folders.
  if [ -n "$hosts_pid" ]; then
    kill -TERM "$hosts_pid" 2>/dev/null || true
    wait "$hosts_pid" 2>/dev/null || true
  fi
  if [ -n "${BENCH_KEEP:-}" ]; then echo "work folder kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

log "creating $max test hosts (${prefix}1..${prefix}${max})"
"$FLOTILLA_JAVA" -cp "$testing_jar" "$root/bench/TestHostsMain.java" "$prefix" "$max" "$work/hosts" \
  >"$work/testhosts.log" 2>&1 &
hosts_pid=$!
until [ -f "$work/hosts" ]; do
  if ! kill -0 "$hosts_pid" 2>/dev/null; then
    echo "test hosts could not be created:" >&2
    cat "$work/testhosts.log" >&2
    exit 1
  fi
  sleep 0.2
done
mapfile -t names < <(awk 'NF == 2 && $1 != "key" && $1 != "known_hosts" {print $1}' "$work/hosts")
mapfile -t addresses < <(awk 'NF == 2 && $1 != "key" && $1 != "known_hosts" {print $2}' "$work/hosts")
key=$(awk '$1 == "key" {print $2}' "$work/hosts")
known_hosts=$(awk '$1 == "known_hosts" {print $2}' "$work/hosts")
hosts_root=/var/lib/flotilla-testhosts
ssh_options=(-F /dev/null -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes
  -o UserKnownHostsFile="$known_hosts" -o GlobalKnownHostsFile=/dev/null)

# Back to fresh hosts between runs: every process but the host's sshd is killed, /srv emptied.
reset_hosts() {
  local name keep pid
  for name in "${names[@]}"; do
    keep=$(cat "$hosts_root/$name/sshd.pid")
    for pid in $(ip netns pids "$name"); do
      [ "$pid" = "$keep" ] || kill -KILL "$pid" 2>/dev/null || true
    done
  done
  for name in "${names[@]}"; do
    while [ "$(ip netns pids "$name" | wc -l)" -gt 1 ]; do sleep 0.05; done
    rm -rf "${hosts_root:?}/$name/srv/"*
  done
  rm -rf /tmp/.ansible-bench
}

# The peak of /proc/PID/fd entries while PID runs, sampled every 20 ms.
peak_fds() {
  local pid=$1 peak=0 count
  while kill -0 "$pid" 2>/dev/null; do
    count=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    [ "$count" -gt "$peak" ] && peak=$count
    sleep 0.02
  done
  echo "$peak"
}

topology() {
  local n=$1 i
  cat <<YAML
global:
  user: root
  deploy_dir: /srv/flotilla/deploy
  data_dir: /srv/flotilla/data
server_configs:
  mariadb:
    innodb_buffer_pool_size: 32M
mariadb_servers:
YAML
  echo "  - { host: ${addresses[0]}, role: primary }"
  for ((i = 1; i < n; i++)); do echo "  - { host: ${addresses[$i]}, role: replica }"; done
}

# The span of a deploy's journal steps whose id starts with $2: first started to last done.
journal_span() {
  grep -o "\"[0-9T:.-]*Z \(started\|done\) *$2[^\"]*\"" "$1" \
    | tr -d '"' | awk '{ cmd = "date -d " $1 " +%s.%N"; cmd | getline t; close(cmd);
        if ($2 == "started" && (first == "" || t < first)) first = t; if ($2 == "done" && t > last) last = t }
        END { if (first == "") print "-"; else printf "%.2f", last - first }'
}

# A journal's whole plan: begin to end.
plan_span() {
  grep -o '"[0-9T:.-]*Z \(begin\|end\) *"' "$1" | tr -d '"' \
    | awk '{ cmd = "date -d " $1 " +%s.%N"; cmd | getline t; close(cmd); if ($2 == "begin") b = t; else e = t }
        END { printf "%.2f", e - b }'
}

# One Flotilla deploy + start; sets seconds, peak (open fds), phase (installing the agents' files)
# and agent_start (starting the agents).
flotilla_run() {
  local n=$1 run=$2 dir="$work/flotilla-$1-$2" start end pid fds_deploy fds_start
  mkdir -p "$dir"
  export FLOTILLA_HOME="$dir/home"
  topology "$n" >"$dir/topology.yaml"
  start=$(now)
  # shellcheck disable=SC2086
  "$flotilla" cluster deploy bench "$dir/topology.yaml" --yes --user root -i "$key" --known-hosts "$known_hosts" \
    $deploy_flags >"$dir/deploy.log" 2>&1 &
  pid=$!
  cli_pid=$pid
  fds_deploy=$(peak_fds "$pid")
  wait "$pid" || { echo "flotilla cluster deploy failed, see $dir/deploy.log:" >&2; tail -20 "$dir/deploy.log" >&2; exit 1; }
  "$flotilla" cluster start bench >"$dir/start.log" 2>&1 &
  pid=$!
  cli_pid=$pid
  fds_start=$(peak_fds "$pid")
  wait "$pid" || { echo "flotilla cluster start failed, see $dir/start.log:" >&2; tail -20 "$dir/start.log" >&2; exit 1; }
  end=$(now)
  cli_pid=
  "$flotilla" cluster display bench --format json >"$dir/display.json"
  if grep -q '"status" : "\(Down\|Unready\|Failed\|Disconnected\)"' "$dir/display.json" \
    || [ "$(grep -c '"status" : "Up"' "$dir/display.json")" -ne $((3 * n)) ]; then
    echo "flotilla: not every instance is Up, see $dir/display.json" >&2
    exit 1
  fi
  # The phases from the deploy's journal.
  "$flotilla" cluster audit "$(awk '/^[0-9]+-/ && / deploy / {print $1}' <("$flotilla" cluster audit))" --format json \
    >"$dir/deploy-audit.json"
  "$flotilla" cluster audit "$(awk '/^[0-9]+-/ && / start / {print $1}' <("$flotilla" cluster audit))" --format json \
    >"$dir/start-audit.json"
  phase=$(journal_span "$dir/deploy-audit.json" deploy/agent/)
  agent_start=$(journal_span "$dir/deploy-audit.json" deploy/start-agent/)
  local check instances deploy_plan start_plan
  check=$(journal_span "$dir/deploy-audit.json" deploy/check/)
  instances=$(journal_span "$dir/deploy-audit.json" deploy/instance/)
  deploy_plan=$(plan_span "$dir/deploy-audit.json")
  start_plan=$(plan_span "$dir/start-audit.json")
  [ -d "$work/payload-$n" ] || capture_payload "$n"
  seconds=$(elapsed "$start" "$end")
  peak=$((fds_deploy > fds_start ? fds_deploy : fds_start))
  # Outside both plans: two JVM starts of the CLI, the pre-flight check before the deploy's plan, exits.
  outside=$(awk -v t="$seconds" -v d="$deploy_plan" -v s="$start_plan" 'BEGIN { printf "%.2f", t - d - s }')
  breakdown="$outside $check $phase $agent_start $instances $start_plan"
}

# What Flotilla copied to the first host: the agent's files and every instance's conf files.
capture_payload() {
  local n=$1 srv="$hosts_root/${names[0]}/srv"
  mkdir -p "$work/payload-$n"
  (cd "$srv" && find flotilla/deploy -type f \
    \( -path '*/flotilla-agent-*/lib/*' \
    -o -path '*/flotilla-agent-*/token' -o -path '*/flotilla-agent-*/secrets/*' -o -path '*/conf/*' \) \
    -not -path '*/flotilla-agent-*/jre/*' -print0 \
    | tar --null -T - -cf - | tar -xf - -C "$work/payload-$n")
  # The agent's Java runtime travels as the one tarball Flotilla sends (and unpacks on the host), not as
  # the unpacked jre/ folder it becomes there.
  local runtime agent
  runtime=$(ls -t "$FLOTILLA_CACHE"/agent-runtime/jre-*.tar.gz | head -1)
  agent=$(echo "$work/payload-$n"/flotilla/deploy/flotilla-agent-*)
  cp "$runtime" "$agent/jre.tar.gz"
  # Ansible copies the agent folder but writes the token and passwords itself.
  mkdir -p "$work/agent-$n"
  (cd "$work/payload-$n"/flotilla/deploy/flotilla-agent-*/ && tar --exclude=./token --exclude=./secrets -cf - .) \
    | tar -xf - -C "$work/agent-$n"
}

ansible_run() {
  local n=$1 run=$2 dir="$work/ansible-$1-$2" i start end
  mkdir -p "$dir"
  {
    echo "[primary]"
    echo "${addresses[0]} mariadb_role=primary server_id=1"
    echo "[replicas]"
    for ((i = 1; i < n; i++)); do echo "${addresses[$i]} mariadb_role=replica server_id=$((i + 1))"; done
    echo "[all:vars]"
    echo "ansible_user=root"
    echo "ansible_ssh_private_key_file=$key"
    echo "ansible_ssh_common_args='-o UserKnownHostsFile=$known_hosts -o GlobalKnownHostsFile=/dev/null'"
  } >"$dir/inventory.ini"
  local password hash
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  hash="*$(printf %s "$password" | openssl sha1 -binary | openssl sha1 -hex | awk '{print toupper($NF)}')"
  (umask 077 && cat >"$dir/vars.yml" <<VARS
agent_files: $work/agent-$n
agent_token: $(head -c 30 /dev/urandom | base64 | tr -d '/+=')
root_password: $password
root_password_hash: "$hash"
replication_password: $(head -c 18 /dev/urandom | base64 | tr -d '/+=')
primary_address: ${addresses[0]}
VARS
  )
  start=$(now)
  ANSIBLE_SSH_CONTROL_PATH_DIR="$work/cp-$n-$run" \
    ansible-playbook -i "$dir/inventory.ini" -e "@$dir/vars.yml" "$root/bench/ansible/deploy.yml" >"$dir/ansible.log" 2>&1 \
    || { echo "ansible-playbook failed, see $dir/ansible.log:" >&2; tail -30 "$dir/ansible.log" >&2; exit 1; }
  end=$(now)
  for socket in "$work/cp-$n-$run"/*; do
    [ -S "$socket" ] && ssh -o ControlPath="$socket" -O exit dummy >/dev/null 2>&1 || true
  done
  seconds=$(elapsed "$start" "$end")
}

# The floor: the same files as one tar stream per host over ssh, to every host at once.
floor_run() {
  local n=$1 i start end pids=()
  start=$(now)
  for ((i = 0; i < n; i++)); do
    tar -C "$work/payload-$n" -cf - . \
      | ssh "${ssh_options[@]}" "root@${addresses[$i]}" 'mkdir -p /srv/floor && tar -xf - -C /srv/floor' &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || { echo "the floor copy failed" >&2; exit 1; }; done
  end=$(now)
  seconds=$(elapsed "$start" "$end")
}

declare -A flotilla_times ansible_times floor_times fds phases agent_starts breakdowns
min=$(tr ' ' '\n' <<<"$sizes" | grep . | sort -n | head -1)
if runs_tool flotilla; then
  # Untimed: the CLI writes its class data sharing archive on its first run after a build.
  reset_hosts
  log "warm-up: an untimed Flotilla deploy + start on $min hosts"
  flotilla_run "$min" 0
fi
for n in $sizes; do
  for run in $(seq "$runs"); do
    if runs_tool flotilla; then
      reset_hosts
      log "$n hosts, run $run/$runs: Flotilla"
      flotilla_run "$n" "$run"
      flotilla_times[$n]+="$seconds "
      fds[$n]+="$peak "
      phases[$n]+="$phase "
      agent_starts[$n]+="$agent_start "
      breakdowns[$n]+="$breakdown"$'\n'
      log "  Flotilla deploy + start: $seconds s (agent files $phase s, agent start $agent_start s, peak $peak fds)"
    fi
    if runs_tool ansible; then
      reset_hosts
      log "$n hosts, run $run/$runs: Ansible"
      ansible_run "$n" "$run"
      ansible_times[$n]+="$seconds "
      log "  Ansible: $seconds s"
    fi
    if runs_tool floor; then
      reset_hosts
      floor_run "$n"
      floor_times[$n]+="$seconds "
      log "  floor (tar | ssh to every host at once): $seconds s"
    fi
  done
done
if [ "$tools" != "flotilla ansible floor" ]; then
  log "BENCH_TOOLS='$tools': no results written"
  exit 0
fi
reset_hosts

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
maxof() { tr ' ' '\n' <<<"$1" | grep . | sort -n | tail -1; }
payload_bytes=$(du -sb --apparent-size "$work/payload-$max" | cut -f1)
payload_files=$(find "$work/payload-$max" -type f | wc -l)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
load=$(cut -d' ' -f1-3 /proc/loadavg)
rows=""
for n in $sizes; do
  f=$(med "${flotilla_times[$n]}")
  a=$(med "${ansible_times[$n]}")
  fl=$(med "${floor_times[$n]}")
  p=$(med "${phases[$n]}")
  s=$(med "${agent_starts[$n]}")
  rows+="| $n | ${f} s | ${a} s | **$(ratio "$a" "$f")x** | ${fl} s | ${p} s ($(ratio "$p" "$fl")x the floor) | ${s} s | $(maxof "${fds[$n]}") |"$'\n'
done
parts=""
for n in $sizes; do
  parts+="| $n |$(awk 'NF { n++; for (i = 1; i <= NF; i++) v[i, n] = $i; f = NF }
    END { for (i = 1; i <= f; i++) { m = 0; for (r = 1; r <= n; r++) a[r] = v[i, r];
            for (x = 1; x <= n; x++) for (y = x + 1; y <= n; y++) if (a[y] < a[x]) { t = a[x]; a[x] = a[y]; a[y] = t }
            printf " %s s |", a[int((n + 1) / 2)] } }' <<<"${breakdowns[$n]}")"$'\n'
done
all_runs=""
for n in $sizes; do
  all_runs+="- $n hosts: Flotilla ${flotilla_times[$n]% }s; Ansible ${ansible_times[$n]% }s; floor ${floor_times[$n]% }s; agent files ${phases[$n]% }s; agent start ${agent_starts[$n]% }s; peak fds ${fds[$n]% }"$'\n'
done

cat >"$root/bench/results/ssh-deploy.md" <<REPORT
# SSH deploy: Flotilla against Ansible and the raw copy

Run with \`bench/ssh-deploy.sh\` on $(date -u +%Y-%m-%d) — $(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GB,
$(. /etc/os-release && echo "$PRETTY_NAME"), $("$FLOTILLA_JAVA" -version 2>&1 | head -1), $(ansible --version | head -1),
$(ssh -V 2>&1), MariaDB $(mariadbd --version | awk '{print $3}'). Load average at the end: $load
(the machine may have been shared with other work). Medians of $runs runs per tool and size, run interleaved,
after one untimed Flotilla deploy + start (the CLI writes its class data sharing archive on its first run).

Hosts are test hosts on this machine (network namespaces, each with its own sshd, /srv and address; /usr
shared): every MariaDB, exporter and sshd of every host runs on the same $(nproc) cores.

| hosts | Flotilla deploy + start | Ansible playbook | Ansible / Flotilla (goal ≥ 5x) | floor: same bytes, tar \| ssh to all hosts at once | Flotilla copying them (Install agents; goal ≤ 1.5x the floor) | Flotilla starting the agents | Flotilla peak open fds |
|---|---|---|---|---|---|---|---|
${rows}
Where Flotilla's time goes (medians, from the journals of deploy and start). Each host goes at its own
pace: its agent is installed and started while its instances' files are written and \`mariadb-install-db\`
runs, so the three middle columns overlap in time (each is the first such step started to the last done):

| hosts | outside the plans: CLI JVM starts, pre-flight check, exits | Check hosts | Install agents (files) | Start agents (JVMs) | Deploy instances (config, \`mariadb-install-db\`) | \`cluster start\` plan |
|---|---|---|---|---|---|---|
${parts}
Every run:
${all_runs}
## What each side does

The cluster, per host: MariaDB (the first host the primary, the others GTID replicas), node_exporter and
blackbox_exporter; $payload_files files, $payload_bytes bytes copied to each host (the agent's files, its token
and the root password, my.cnf, blackbox.yml).

- **Flotilla**: \`flotilla cluster deploy bench topology.yaml --yes --user root -i KEY --known-hosts FILE\`
  then \`flotilla cluster start bench\`, timed together, each a new JVM. Deploy checks every host
  (binaries, Java, ports), installs and starts the agent (one SSH connection per host, files over SFTP,
  each skipped when its checksum matches), writes the config files, runs \`mariadb-install-db\` with the root
  password set; start launches the exporters and the primary through the agents, waits for them
  (HTTP /metrics, SQL ping), creates the replication user, then the replicas, runs CHANGE MASTER and waits
  until both replication threads run. Done when every instance is Up.
- **Ansible** (\`bench/ansible/deploy.yml\`, \`bench/ansible/ansible.cfg\`): the same directories (\`file\`), the
  same agent files (\`copy\` of the folder), token and root password (\`copy\`), my.cnf and the bootstrap SQL
  (\`template\`), \`mariadb-install-db\` (\`command\` with \`creates\`), the processes started with
  \`start-stop-daemon\` (there is no systemd on the test hosts; Ansible does not start Flotilla's agent, which
  spares it a JVM start per host), waits with \`uri\` and \`until\` loops on the \`mariadb\` client, the
  replication user and CHANGE MASTER through the \`mariadb\` client. Default forks (5), pipelining on,
  ssh ControlMaster/ControlPersist (Ansible's default), host keys checked against the hosts' known_hosts.
- **Floor**: the files Flotilla copied to a host (taken from the first host after a Flotilla run), as one
  \`tar -c | ssh host 'tar -x'\` per host, all hosts at once, with OpenSSH's client.
- **Flotilla copying them**: from the deploy's journal, the first \`install agent\` step started to the last
  one done: the runtime tarball streamed over one channel into \`tar -xz\` on each host (unpacked while it
  arrives, its sha256 checked on the host), the agent's jars, token and password over SFTP. my.cnf and
  blackbox.yml are written by each instance's step, which runs meanwhile, \`mariadb-install-db\` with it:
  on this machine they share the same 2 cores. **Starting the agents**: the same for the \`start agent\`
  steps, one JVM per host until its HTTP API answers.
- **Peak open fds**: the most entries of \`/proc/<pid>/fd\` of the CLI's JVM, sampled every 20 ms during
  deploy and during start (the higher of the two, the highest over the runs).
REPORT
cat "$root/bench/results/ssh-deploy.md"
