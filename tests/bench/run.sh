#!/usr/bin/env bash
# Side-by-side benchmark: Meridian (A) against nats-server (B), same load
# generator, same machine, servers alternating A B A B ... so that drift in
# the machine's load hits both alike. Prints a Markdown table of medians.
#
#   tests/bench/run.sh                      # build, all scenarios, 3 rounds
#   tests/bench/run.sh --no-build --only pub16 --rounds 5
#   tests/bench/run.sh --meridian-cmd "nats-server -a 127.0.0.1 -p {port}"   # validate the harness
#   tests/bench/run.sh --cluster            # the cross-node scenarios (x*): 2 frontends vs 2 nats nodes
#   tests/bench/run.sh --js                 # the JetStream scenarios (js*, kv*): -js, a fresh store per run
#
# See tests/bench/README.md for what each scenario measures.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

usage() {
  cat <<'EOF'
Usage: tests/bench/run.sh [options]
  --rounds N            runs per server per scenario, alternating A B A B ... (default 3)
  --only NAME[,NAME]    run only these scenarios (see --list)
  --list                list the scenarios and exit
  --no-build            do not run scripts/build.sh (build/bin/meridian-loadgen must exist)
  --bin-dir DIR         where meridian-server and meridian-loadgen are (default build/bin); the
                        default A commands and --loadgen follow it
  --meridian-cmd CMD    server A command; {port} is replaced by a free port
                        (default: build/bin/meridian-server -a 127.0.0.1 -p {port} --admin_listen 127.0.0.1:0)
  --nats-cmd CMD        server B command (default: nats-server -a 127.0.0.1 -p {port})
  --js                  run the JetStream scenarios (names starting with js or kv) instead of the
                        core ones; --only may name any mix
  --meridian-js-cmd CMD server A for the JetStream scenarios; {store} is replaced by a fresh empty
                        directory, removed after the run (default: build/bin/meridian-server -a
                        127.0.0.1 -p {port} --admin_listen 127.0.0.1:0 -js -sd {store})
  --nats-js-cmd CMD     server B for them (default: nats-server -a 127.0.0.1 -p {port} -js -sd {store})
  --js-pin MODE         CPUs for every JetStream scenario: split, same or none (default: split
                        for throughput, same for kvput/kvget one at a time; see README.md)
  --cluster             run the cross-node scenarios (names starting with x) instead of the
                        single-server ones; --only may name any mix of both
  --meridian-cluster-cmd SPEC
                        side A of the cross-node scenarios: one or more commands separated by
                        " ;; " that together start two nodes. Placeholders: {port1} (= {port}),
                        {port2} = {port1}+1 (client ports of node 1 and node 2), {cport1} =
                        {port1}+2, {cport2} = {port1}+3 (free for cluster routes). Default:
                        build/bin/meridian-server -a 127.0.0.1 -p {port1} --frontends 2 --admin_listen 127.0.0.1:0
                        (frontend 0 on {port1}, frontend 1 on {port1}+1)
  --nats-cluster-cmd SPEC
                        side B of the cross-node scenarios (default: two nats-server nodes,
                        node 2 routing to node 1, --cluster_name bench; see --list)
  --cluster-pin MODE    CPUs for every cross-node scenario: split (both nodes on CPU 0, load
                        generator on CPU 1), same (all on CPU 0) or none. Default: as for one
                        server, split for throughput and same for xreqrep
  --loadgen PATH        load generator (default: build/bin/meridian-loadgen)
  --scale F             multiply every message count by F (default 1; e.g. 0.2 for a smoke run)
  --no-pin              never pin (default, via taskset: throughput scenarios run the server on
                        CPU 0 and the load generator on CPU 1; reqrep runs both on CPU 0)
  --timeout S           per-run bound passed to the load generator (default 60)
  --out FILE            also write the report (Markdown) to FILE
  -h, --help            this text
EOF
}

rounds=3
only=""
build=1
bin_dir="$ROOT/build/bin"
meridian_cmd=""           # defaults below, under --bin-dir
nats_cmd="nats-server -a 127.0.0.1 -p {port}"
meridian_cluster_cmd=""
meridian_js_cmd=""
nats_js_cmd="nats-server -a 127.0.0.1 -p {port} -js -sd {store}"
js=0
js_pin=""
nats_cluster_cmd="nats-server -a 127.0.0.1 -p {port1} -cluster nats://127.0.0.1:{cport1} --cluster_name bench ;; nats-server -a 127.0.0.1 -p {port2} -cluster nats://127.0.0.1:{cport2} -routes nats://127.0.0.1:{cport1} --cluster_name bench"
cluster=0
cluster_pin=""
loadgen=""
scale=1
pin=1
run_timeout=60
out=""
list=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --rounds=*) rounds="${1#*=}"; shift ;;
    --only) only="$2"; shift 2 ;;
    --only=*) only="${1#*=}"; shift ;;
    --list) list=1; shift ;;
    --no-build) build=0; shift ;;
    --meridian-cmd) meridian_cmd="$2"; shift 2 ;;
    --meridian-cmd=*) meridian_cmd="${1#*=}"; shift ;;
    --nats-cmd) nats_cmd="$2"; shift 2 ;;
    --nats-cmd=*) nats_cmd="${1#*=}"; shift ;;
    --cluster) cluster=1; shift ;;
    --bin-dir) bin_dir="$2"; shift 2 ;;
    --bin-dir=*) bin_dir="${1#*=}"; shift ;;
    --js) js=1; shift ;;
    --meridian-js-cmd) meridian_js_cmd="$2"; shift 2 ;;
    --meridian-js-cmd=*) meridian_js_cmd="${1#*=}"; shift ;;
    --nats-js-cmd) nats_js_cmd="$2"; shift 2 ;;
    --nats-js-cmd=*) nats_js_cmd="${1#*=}"; shift ;;
    --js-pin) js_pin="$2"; shift 2 ;;
    --js-pin=*) js_pin="${1#*=}"; shift ;;
    --meridian-cluster-cmd) meridian_cluster_cmd="$2"; shift 2 ;;
    --meridian-cluster-cmd=*) meridian_cluster_cmd="${1#*=}"; shift ;;
    --nats-cluster-cmd) nats_cluster_cmd="$2"; shift 2 ;;
    --nats-cluster-cmd=*) nats_cluster_cmd="${1#*=}"; shift ;;
    --cluster-pin) cluster_pin="$2"; shift 2 ;;
    --cluster-pin=*) cluster_pin="${1#*=}"; shift ;;
    --loadgen) loadgen="$2"; shift 2 ;;
    --loadgen=*) loadgen="${1#*=}"; shift ;;
    --scale) scale="$2"; shift 2 ;;
    --scale=*) scale="${1#*=}"; shift ;;
    --no-pin) pin=0; shift ;;
    --timeout) run_timeout="$2"; shift 2 ;;
    --timeout=*) run_timeout="${1#*=}"; shift ;;
    --out) out="$2"; shift 2 ;;
    --out=*) out="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 1 ;;
  esac
done
case "$cluster_pin" in ""|none|split|same) ;; *) echo "run.sh: --cluster-pin must be none, split or same" >&2; exit 1 ;; esac
case "$js_pin" in ""|none|split|same) ;; *) echo "run.sh: --js-pin must be none, split or same" >&2; exit 1 ;; esac
bin_dir="$(cd "$bin_dir" 2>/dev/null && pwd || echo "$bin_dir")"
# (Not ${x:=...}: the braces of {port} would end the expansion.)
[[ -n "$meridian_cmd" ]] || meridian_cmd="$bin_dir/meridian-server -a 127.0.0.1 -p {port} --admin_listen 127.0.0.1:0"
[[ -n "$meridian_cluster_cmd" ]] || meridian_cluster_cmd="$bin_dir/meridian-server -a 127.0.0.1 -p {port1} --frontends 2 --admin_listen 127.0.0.1:0"
[[ -n "$meridian_js_cmd" ]] || meridian_js_cmd="$bin_dir/meridian-server -a 127.0.0.1 -p {port} --admin_listen 127.0.0.1:0 -js -sd {store}"
[[ -n "$loadgen" ]] || loadgen="$bin_dir/meridian-loadgen"

# --- scenarios ---------------------------------------------------------------
# name | loadgen arguments ({msgs} = count x --scale) | base count | metric key(s) |
# better (hi|lo) | target ratio A/B | CPUs | label
# Counts make one nats-server run last about 2-5 s on the 2-core dev machine.
# CPUs (measured on this shared 2-core VM, nats-server against itself):
#   split: server on CPU 0, load generator on CPU 1. Throughput runs: about
#          twice as fast as unpinned and steady (A/A within ~10 %), since the
#          Go runtime and the load generator stop fighting over cores.
#   same:  server and load generator both on CPU 0. The latency run: each hop
#          of a round trip is then a context switch (p50 ~35 us, p99 ~100 us);
#          across CPUs every hop wakes an idle virtual CPU, which made p50
#          jump between 40 and 250 us from run to run.
SCENARIOS=(
  "ceiling|pub --size=16 --msgs={msgs}|80000000|pub_rate|hi|-|split|loadgen ceiling: pub 16 B into the sink, msgs/s"
  "pub16|pub --size=16 --msgs={msgs}|20000000|pub_rate|hi|1.5|split|pub only, 16 B, msgs/s"
  "pubsub16|pubsub --size=16 --msgs={msgs}|6000000|sub_rate|hi|1.5|split|pub -> sub 1:1, 16 B, delivered msgs/s"
  "pubsub1k|pubsub --size=1024 --msgs={msgs}|1500000|sub_rate|hi|-|split|pub -> sub 1:1, 1 KiB, delivered msgs/s"
  "fanout128|pubsub --size=128 --subs=4 --msgs={msgs}|2500000|sub_rate|hi|1.5|split|fan-out 1 -> 4, 128 B, delivered msgs/s (all subs)"
  "queue128|pubsub --size=128 --subs=4 --queue=q --msgs={msgs}|4000000|sub_rate|hi|1.2|split|queue group 1 -> 4, 128 B, delivered msgs/s"
  "reqrep|reqrep --size=16 --msgs={msgs}|80000|p50_us,p99_us|lo|1.0|same|request/reply round trip, 16 B, us"
  # Cross-node (--cluster): two nodes per run, {n1}/{n2} = node 1/node 2's
  # client address; the publisher/requester is on node 1. CPUs (nats-server
  # cluster against itself, same machine): split = both nodes on CPU 0, the
  # load generator on CPU 1 (A/A 0.95-1.03, as steady as all on CPU 0);
  # same = all on CPU 0 for xreqrep (p50 ~95 us, A/A 0.99; split: ~270 us
  # from cross-CPU wake-ups; unpinned: A/A 0.72-1.49). --cluster-pin overrides.
  "xpubsub16|pubsub --size=16 --msgs={msgs} --pub-url={n1} --sub-url={n2}|3000000|sub_rate|hi|-|split|pub (node 1) -> sub (node 2), 16 B, delivered msgs/s"
  "xfanout|pubsub --size=128 --subs=4 --msgs={msgs} --pub-url={n1} --sub-url={n1},{n2}|1500000|sub_rate|hi|-|split|fan-out 1 -> 4 (2 subs per node), 128 B, delivered msgs/s"
  "xqueue|pubsub --size=128 --subs=4 --queue=q --msgs={msgs} --pub-url={n1} --sub-url={n1},{n2}|2500000|sub_rate,node1_pct|hi|-|split|queue group of 4 (2 per node), 128 B, delivered msgs/s; node1_pct = % delivered to node 1's members"
  "xreqrep|reqrep --size=16 --msgs={msgs} --pub-url={n1} --sub-url={n2}|40000|p50_us,p99_us|lo|-|same|request/reply, requester node 1, responder node 2, 16 B, us"
  # JetStream (--js): server started with -js and a fresh store directory
  # ({store}) per run, removed afterwards. The load generator creates the
  # stream / bucket / consumer itself through $JS.API. CPUs (nats-server
  # against itself): split for throughput (A/A 0.70-1.26 on a busy machine,
  # unpinned no steadier); same for kvput/kvget one at a time (p50 ~17-20 us;
  # split: 76-104 us of cross-CPU wake-ups). --js-pin overrides.
  "jspub|jspub --size=128 --window=4000 --msgs={msgs}|300000|ack_rate|hi|-|split|async publish into a file R1 stream, 128 B, 4000 unacked max, acked msgs/s"
  "jsfetch|jsfetch --size=128 --ack=explicit --pull-batch=500 --pulls=2 --msgs={msgs}|200000|consume_rate|hi|-|split|pull consumer, batch 500 x 2 in flight, explicit ack each, 128 B, consumed msgs/s"
  "jsfetch_noack|jsfetch --size=128 --ack=none --pull-batch=500 --pulls=2 --msgs={msgs}|300000|consume_rate|hi|-|split|pull consumer, ack none, batch 500 x 2 in flight, 128 B, consumed msgs/s"
  "kvput|kvput --size=128 --keys=1000 --window=1 --msgs={msgs}|30000|put_rate,p50_us,p99_us|hi|-|same|KV put, 1000 keys round robin, one at a time, 128 B, puts/s and latency us"
  "kvput_async|kvput --size=128 --keys=1000 --window=256 --msgs={msgs}|200000|put_rate|hi|-|split|KV put, 1000 keys, 256 outstanding, 128 B, puts/s"
  "kvget|kvget --size=128 --keys=1000 --window=1 --msgs={msgs}|30000|get_rate,p50_us,p99_us|hi|-|same|KV get (direct get), 1000 keys, one at a time, 128 B, gets/s and latency us"
  "kvget_async|kvget --size=128 --keys=1000 --window=256 --msgs={msgs}|300000|get_rate|hi|-|split|KV get (direct get), 1000 keys, 256 outstanding, 128 B, gets/s"
)

if [[ $list -eq 1 ]]; then
  for s in "${SCENARIOS[@]}"; do IFS='|' read -r n a c _ _ _ _ l <<<"$s"; printf '%-10s %s   [loadgen %s, msgs=%s]\n' "$n" "$l" "$a" "$c"; done
  echo
  echo "x* scenarios (--cluster) start two nodes per run:"
  echo "  A: $meridian_cluster_cmd"
  echo "  B: $nats_cluster_cmd"
  echo
  echo "js*/kv* scenarios (--js) start one server with JetStream and a fresh {store} per run:"
  echo "  A: $meridian_js_cmd"
  echo "  B: $nats_js_cmd"
  exit 0
fi

is_cluster() { [[ "$1" == x* ]]; }
is_js() { [[ "$1" == js* || "$1" == kv* ]]; }

# Without --only: the core single-server scenarios, with --cluster the x*
# ones, with --js the js*/kv* ones (both flags: both sets).
selected() {
  if [[ -z "$only" ]]; then
    if [[ $cluster -eq 1 || $js -eq 1 ]]; then
      { [[ $cluster -eq 1 ]] && is_cluster "$1"; } || { [[ $js -eq 1 ]] && is_js "$1"; }
    else
      ! is_cluster "$1" && ! is_js "$1"
    fi
    return
  fi
  local n
  for n in ${only//,/ }; do [[ "$n" == "$1" ]] && return 0; done
  return 1
}

# --- setup -------------------------------------------------------------------
if ! command -v nats-server >/dev/null 2>&1 && [[ ! -x /usr/sbin/nats-server ]]; then
  echo "run.sh: nats-server not found; installing it (apt-get install -y nats-server)" >&2
  apt-get install -y nats-server >&2 || { apt-get update >&2 && apt-get install -y nats-server >&2; }
fi
export PATH="$PATH:/usr/sbin"
if [[ $build -eq 1 ]]; then
  echo "run.sh: building (scripts/build.sh)" >&2
  "$ROOT/scripts/build.sh" >&2
fi
if [[ ! -x "$loadgen" ]]; then
  echo "run.sh: load generator not found at $loadgen; build it with" >&2
  echo "  cmake -S . -B build -G Ninja -DMERIDIAN_BUILD_TESTS=ON && cmake --build build --target meridian-loadgen" >&2
  exit 1
fi
for n in ${only//,/ }; do
  found=0
  for s in "${SCENARIOS[@]}"; do [[ "${s%%|*}" == "$n" ]] && found=1; done
  [[ $found -eq 1 ]] || { echo "run.sh: unknown scenario '$n' (see --list)" >&2; exit 1; }
done

work="$(mktemp -d /tmp/meridian-bench.XXXXXX)"
server_pin=()   # set per scenario
loadgen_pin=()
if [[ $pin -eq 1 ]] && ! { command -v taskset >/dev/null 2>&1 && [[ $(nproc) -ge 2 ]]; }; then
  echo "run.sh: taskset missing or fewer than 2 CPUs; not pinning" >&2
  pin=0
fi

server_pids=()   # every process of the current run's server (one, or one per node)
cleanup() {
  if [[ ${#server_pids[@]} -gt 0 ]]; then stop_server; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The first of N consecutive TCP ports nobody listens on now (the server may
# still lose a race; then start_server fails and the run is retried once on
# other ports).
free_ports() {
  local n="${1:-1}" p i busy
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    busy=0
    for ((i = 0; i < n; i++)); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$((p + i))") 2>/dev/null; then busy=1; break; fi
    done
    if [[ $busy -eq 0 ]]; then echo "$p"; return 0; fi
  done
  return 1
}

# Polls until 127.0.0.1:$1 accepts connections, a server process exits, or 30 s pass.
wait_port() {
  local port="$1" deadline=$((SECONDS + 30)) pid
  while ((SECONDS < deadline)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    for pid in "${server_pids[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
    sleep 0.05
  done
  return 1
}

# start_server SPEC LOG [NODES]: starts the commands of SPEC (separated by
# " ;; "), each in its own session, with the placeholders substituted, and
# waits for the client port of each of NODES nodes (default 1). Sets
# server_pids, server_port (= node 1's client port) and server_port2. With 2
# nodes, also waits until a message crosses from node 1 to node 2 and back.
start_server() {
  local spec="$1" log="$2" nodes="${3:-1}"
  local base
  base="$(free_ports $((nodes == 1 ? 1 : 4)))" || { echo "run.sh: no free ports" >&2; return 1; }
  server_port="$base"
  server_port2=$((base + 1))
  local line rest="$spec" i=0 node_log
  server_pids=()
  while [[ -n "$rest" ]]; do
    if [[ "$rest" == *" ;; "* ]]; then line="${rest%% ;; *}"; rest="${rest#* ;; }"; else line="$rest"; rest=""; fi
    line="${line//\{port\}/$base}"
    line="${line//\{port1\}/$base}"
    line="${line//\{port2\}/$((base + 1))}"
    line="${line//\{cport1\}/$((base + 2))}"
    line="${line//\{cport2\}/$((base + 3))}"
    i=$((i + 1))
    node_log="$log"
    [[ "$spec" == *" ;; "* ]] && node_log="${log%.log}-p$i.log"
    # setsid: the server and any children form one process group that only we
    # started, so a stuck one can be killed by that group id.
    setsid "${server_pin[@]}" bash -c "exec $line" >"$node_log" 2>&1 &
    server_pids+=($!)
  done
  local port
  for port in "$server_port" $( ((nodes > 1)) && echo "$server_port2"); do
    if ! wait_port "$port"; then
      echo "run.sh: server did not open port $port: $spec" >&2
      tail -n 5 "${log%.log}"*.log | sed 's/^/    /' >&2
      stop_server
      return 1
    fi
  done
  if ((nodes > 1)); then
    # The route is up when a message crosses, both ways (a 1-message pubsub
    # publishes probes until the subscriber on the other node sees one).
    local a="127.0.0.1:$server_port" b="127.0.0.1:$server_port2" probe
    for probe in "$a $b" "$b $a"; do
      read -r from to <<<"$probe"
      line="$(timeout -k 5 60 "${loadgen_pin[@]}" "$loadgen" pubsub --msgs=1 --size=0 --subject=_bench.route \
        --pub-url="$from" --sub-url="$to" --timeout=30 2>>"$work/loadgen.err" | tail -n 1)" || true
      if [[ "$(kv status "$line")" != "ok" ]]; then
        echo "run.sh: no message crossed from $from to $to within 30 s: $line" >&2
        route_error="no message crossed from node $from to node $to within 30 s"
        stop_server
        return 1
      fi
    done
  fi
}

# SIGTERM by PID (every process of the run), wait up to 20 s, then SIGKILL
# their process groups.
stop_server() {
  local pids=("${server_pids[@]}") deadline=$((SECONDS + 20)) pid alive
  server_pids=()
  [[ ${#pids[@]} -eq 0 ]] && return 0
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  while ((SECONDS < deadline)); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.05
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: server $pid ignored SIGTERM for 20 s; killing its process group" >&2
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}

# kv KEY LINE: the value of KEY in a key=value line.
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n 1; }

median() {
  sort -g | awk '{v[NR]=$1} END {if (NR==0) print ""; else if (NR%2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'
}

# spread: half the min-max range as a percentage of the median ("±7%").
spread() {
  sort -g | awk '{v[NR]=$1} END { if (NR < 2) { print "-"; exit } m = (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; if (m <= 0) { print "-"; exit } printf "±%.0f%%\n", 50 * (v[NR]-v[1]) / m }'
}

fmt_num() {  # 1234567 -> 1,234,567 ; keeps one decimal for small values
  awk -v v="$1" 'BEGIN { if (v == "") { print "FAIL"; exit } if (v >= 1000) { s = sprintf("%.0f", v); out = ""; while (length(s) > 3) { out = "," substr(s, length(s)-2) out; s = substr(s, 1, length(s)-3) } print s out } else printf "%.1f\n", v }'
}

# run_loadgen ARGS... -> prints the result line; status via the line itself.
# CPU time (ns) so far of every thread of every process of the current
# server: its processes and all their descendants (Meridian's daemons).
server_cpu_ns() {
  local pids=("${server_pids[@]}") i=0 c t ns rest total=0
  while (( i < ${#pids[@]} )); do
    for c in $(cat /proc/"${pids[$i]}"/task/*/children 2>/dev/null); do pids+=("$c"); done
    i=$((i + 1))
  done
  for c in "${pids[@]}"; do
    for t in /proc/"$c"/task/*/schedstat; do
      read -r ns rest <"$t" 2>/dev/null && total=$((total + ns))
    done
  done
  echo "$total"
}

run_loadgen() {
  local line rc=0
  line="$(timeout -k 5 $((run_timeout + 30)) "${loadgen_pin[@]}" "$loadgen" "$@" --timeout="$run_timeout" 2>>"$work/loadgen.err")" || rc=$?
  line="$(tail -n 1 <<<"$line")"
  [[ -z "$line" ]] && line="status=error error=\"load generator exited $rc with no output\""
  echo "$line"
}

# --- runs --------------------------------------------------------------------
declare -A results=()   # "$scenario/$side/$key" -> newline-separated values
declare -A failures=()  # "$scenario/$side" -> error text
declare -A commands=()  # "$scenario" -> loadgen command line

now() { date +%s; }
started=$(now)
echo "run.sh: logs in $work" >&2

for s in "${SCENARIOS[@]}"; do
  IFS='|' read -r name args count keys better target pinned label <<<"$s"
  selected "$name" || continue
  if is_cluster "$name" && [[ -n "$cluster_pin" ]]; then pinned="$cluster_pin"; fi
  if is_js "$name" && [[ -n "$js_pin" ]]; then pinned="$js_pin"; fi
  if [[ $pin -eq 1 && "$pinned" == "split" ]]; then
    server_pin=(taskset -c 0)
    loadgen_pin=(taskset -c 1)
  elif [[ $pin -eq 1 && "$pinned" == "same" ]]; then
    server_pin=(taskset -c 0)
    loadgen_pin=(taskset -c 0)
  else
    server_pin=()
    loadgen_pin=()
  fi
  msgs="$(awk -v c="$count" -v f="$scale" 'BEGIN { n = int(c * f); if (n < 1) n = 1; print n }')"
  args="${args//\{msgs\}/$msgs}"
  if is_cluster "$name"; then
    shown="${args//\{n1\}/127.0.0.1:<port1>}"
    shown="${shown//\{n2\}/127.0.0.1:<port2>}"
    commands[$name]="two nodes \`${server_pin[*]:+${server_pin[*]} }<A | B cluster command>\`, then \`${loadgen_pin[*]:+${loadgen_pin[*]} }$loadgen $shown --timeout=$run_timeout\`"
  else
    commands[$name]="server \`${server_pin[*]:+${server_pin[*]} }<A | B command>\`, then \`${loadgen_pin[*]:+${loadgen_pin[*]} }$loadgen $args --url=127.0.0.1:<port> --timeout=$run_timeout\`"
  fi

  if [[ "$name" == "ceiling" ]]; then
    sides=(sink)
  else
    sides=(A B)
  fi
  for ((r = 1; r <= rounds; r++)); do
    for side in "${sides[@]}"; do
      [[ -n "${failures[$name/$side]:-}" ]] && continue  # a failing server is not retried
      nodes=1
      case "$side" in
        A) cmd="$meridian_cmd" ;;
        B) cmd="$nats_cmd" ;;
        sink) cmd="$loadgen sink --port={port} --timeout=$((run_timeout + 60))" ;;
      esac
      if is_cluster "$name"; then
        nodes=2
        [[ "$side" == A ]] && cmd="$meridian_cluster_cmd" || cmd="$nats_cluster_cmd"
      fi
      store=""
      if is_js "$name"; then
        [[ "$side" == A ]] && cmd="$meridian_js_cmd" || cmd="$nats_js_cmd"
        # A fresh, empty store directory for every run (removed after it).
        store="$(mktemp -d "$work/store-$name-$side-$r.XXXXXX")"
        cmd="${cmd//\{store\}/$store}"
      fi
      log="$work/$name-$side-$r.log"
      route_error=""
      if ! start_server "$cmd" "$log" "$nodes"; then
        # Retried once on other ports, with an empty store again.
        if [[ -n "$store" ]]; then rm -rf "$store"; mkdir -p "$store"; fi
        if ! start_server "$cmd" "$log" "$nodes"; then
          failures[$name/$side]="${route_error:-server did not start} (see ${log%.log}*.log)"
          [[ -n "$store" ]] && rm -rf "$store"
          continue
        fi
      fi
      if is_cluster "$name"; then
        run_args="${args//\{n1\}/127.0.0.1:$server_port}"
        run_args="${run_args//\{n2\}/127.0.0.1:$server_port2}"
        read -r -a argv <<<"$run_args"
      else
        read -r -a argv <<<"$args"
        argv+=(--url="127.0.0.1:$server_port")
      fi
      cpu_before="$(server_cpu_ns)"
      line="$(run_loadgen "${argv[@]}")"
      # Server CPU per message (all its processes and threads, µs): how much
      # work a message costs, steadier than a rate on a shared machine.
      msgs="$(kv msgs "$line")"
      if [[ -n "$msgs" && "$msgs" -gt 0 ]]; then
        line="$line server_cpu_us=$(awk -v a="$cpu_before" -v b="$(server_cpu_ns)" -v n="$msgs" 'BEGIN { printf "%.3f", (b - a) / 1000 / n }')"
      fi
      stop_server
      if [[ -n "$store" ]]; then
        store_kb="$(du -sk "$store" 2>/dev/null | cut -f1)"
        line="$line store_kb=${store_kb:-0}"
        rm -rf "$store"
      fi
      echo "  $name round $r $side: $line" >&2
      if [[ "$(kv status "$line")" != "ok" ]]; then
        err="$(sed -n 's/.*error="\(.*\)".*/\1/p' <<<"$line")"
        failures[$name/$side]="$(kv status "$line"): ${err:-$line}"
        continue
      fi
      v="$(kv server_cpu_us "$line")"
      [[ -n "$v" ]] && results[$name/$side/server_cpu_us]+="$v"$'\n'
      for key in ${keys//,/ }; do
        if [[ "$key" == node1_pct ]]; then
          # Share of deliveries to node 1's subscribers (first --sub-url entry).
          v="$(kv recv_per_sub_url "$line" | awk -F, '{ t = 0; for (i = 1; i <= NF; i++) t += $i; if (t > 0) printf "%.1f", 100 * $1 / t }')"
        else
          v="$(kv "$key" "$line")"
        fi
        results[$name/$side/$key]+="$v"$'\n'
      done
    done
  done
done

# --- report ------------------------------------------------------------------
report="$work/report.md"
{
  echo "## Meridian vs nats-server ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, medians of $rounds runs)"
  echo
  any_core=0; any_cluster=0; any_js=0
  for s in "${SCENARIOS[@]}"; do
    n="${s%%|*}"
    selected "$n" || continue
    if is_cluster "$n"; then any_cluster=1; elif is_js "$n"; then any_js=1; else any_core=1; fi
  done
  nats_version="$(nats-server --version 2>/dev/null | awk '{print $NF}')"
  if [[ $any_core -eq 1 ]]; then
    echo "- A (Meridian): \`$meridian_cmd\`"
    echo "- B (nats-server $nats_version): \`$nats_cmd\`"
  fi
  if [[ $any_js -eq 1 ]]; then
    echo "- A, JetStream (js*, kv*): \`$meridian_js_cmd\`"
    echo "- B, JetStream (nats-server $nats_version): \`$nats_js_cmd\`"
    echo "- JetStream runs: {store} = a fresh empty directory under $work, removed after the run. Both at their default durability: nats-server 2.9.10 fsyncs its file store every 2 min (sync_interval); Meridian writes each message to RocksDB's WAL before acking it (no fsync) and fsyncs every 2 min."
  fi
  if [[ $any_cluster -eq 1 ]]; then
    echo "- A, cross-node (x*, two nodes; node 1 = {port1}, node 2 = {port2} = {port1}+1): \`${meridian_cluster_cmd// ;; /\` and \`}\`"
    echo "- B, cross-node (nats-server $nats_version): \`${nats_cluster_cmd// ;; /\` and \`}\`"
    echo "- Cross-node runs start only after a probe message has crossed node 1 -> node 2 and back; the load generator also publishes probes until every subscriber has seen one."
  fi
  echo "- Each run starts a fresh server on a free port, runs the load generator, stops the server; servers alternate A B A B."
  if [[ $pin -eq 1 && $any_core -eq 1 ]]; then
    echo "- CPU: throughput scenarios run the server on CPU 0 and the load generator on CPU 1; reqrep runs both on CPU 0 (taskset; see the commands below)."
  elif [[ $any_core -eq 1 ]]; then
    echo "- CPU: not pinned."
  fi
  if [[ $any_js -eq 1 ]]; then
    case "$([[ $pin -eq 1 ]] && echo "${js_pin:-default}" || echo none)" in
      default) echo "- CPU, JetStream: throughput scenarios run the server (every process of it: Meridian's frontend, router and jetstream share the CPU) on CPU 0 and the load generator on CPU 1; kvput and kvget (one request at a time) run server and load generator all on CPU 0." ;;
      split) echo "- CPU, JetStream: the server (every process of it: Meridian's frontend, router and jetstream share the CPU) on CPU 0, the load generator on CPU 1." ;;
      same) echo "- CPU, JetStream: the server and the load generator all on CPU 0." ;;
      none) echo "- CPU, JetStream: not pinned (server and load generator share the 2 CPUs)." ;;
    esac
  fi
  if [[ $any_cluster -eq 1 ]]; then
    case "$([[ $pin -eq 1 ]] && echo "${cluster_pin:-default}" || echo none)" in
      default) echo "- CPU, cross-node: throughput scenarios run both nodes on CPU 0 and the load generator on CPU 1; xreqrep runs all on CPU 0." ;;
      none) echo "- CPU, cross-node: not pinned (both nodes and the load generator share the 2 CPUs)." ;;
      split) echo "- CPU, cross-node: both nodes on CPU 0, the load generator on CPU 1." ;;
      same) echo "- CPU, cross-node: both nodes and the load generator on CPU 0." ;;
    esac
  fi
  echo
  echo "| scenario | measures | metric | Meridian (A) | nats-server (B) | ratio A/B | target | spread A / B |"
  echo "|---|---|---|---:|---:|---:|---|---|"
  for s in "${SCENARIOS[@]}"; do
    IFS='|' read -r name args count keys better target pinned label <<<"$s"
    selected "$name" || continue
    if [[ "$name" == "ceiling" ]]; then
      m="$(printf '%s' "${results[ceiling/sink/pub_rate]:-}" | median)"
      b="$(printf '%s' "${results[pub16/B/pub_rate]:-}" | median)"
      ratio="-"
      [[ -n "$m" && -n "$b" ]] && ratio="$(awk -v a="$m" -v b="$b" 'BEGIN { printf "%.1fx nats-server pub16", a / b }')"
      echo "| $name | $label | pub_rate | $(fmt_num "$m") (sink) | | $ratio | ≥ 3x nats-server pub16 | $(printf '%s' "${results[ceiling/sink/pub_rate]:-}" | spread) |"
      continue
    fi
    for key in ${keys//,/ }; do
      a="$(printf '%s' "${results[$name/A/$key]:-}" | median)"
      b="$(printf '%s' "${results[$name/B/$key]:-}" | median)"
      ratio="-"
      [[ -n "$a" && -n "$b" ]] && ratio="$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
      goal="-"
      if [[ "$target" != "-" ]]; then
        if [[ "$better" == "hi" ]]; then goal="≥ ${target}x"; else goal="≤ ${target}x (lower is better)"; fi
        [[ "$key" == "p50_us" ]] && goal="(lower is better)"
        if [[ "$ratio" != "-" && "$key" != "p50_us" ]]; then
          if awk -v r="$ratio" -v t="$target" -v h="$better" 'BEGIN { exit !((h == "hi") ? r >= t : r <= t) }'; then
            goal="$goal ✅"
          else
            goal="$goal ❌"
          fi
        fi
      fi
      av="$(fmt_num "$a")"; bv="$(fmt_num "$b")"
      [[ -n "${failures[$name/A]:-}" && -z "$a" ]] && av="FAIL"
      [[ -n "${failures[$name/B]:-}" && -z "$b" ]] && bv="FAIL"
      sa="$(printf '%s' "${results[$name/A/$key]:-}" | spread)"
      sb="$(printf '%s' "${results[$name/B/$key]:-}" | spread)"
      echo "| $name | $label | $key | $av | $bv | $ratio | $goal | $sa / $sb |"
    done
  done
  echo
  echo "Server CPU per message (µs, every process and thread of the server, around the load generator's run; lower is better; medians):"
  echo
  echo "| scenario | Meridian (A) | nats-server (B) | ratio A/B |"
  echo "|---|---:|---:|---:|"
  for s in "${SCENARIOS[@]}"; do
    IFS='|' read -r name _ <<<"$s"
    selected "$name" || continue
    a="$(printf '%s' "${results[$name/A/server_cpu_us]:-}" | median)"
    b="$(printf '%s' "${results[$name/B/server_cpu_us]:-}" | median)"
    [[ -z "$a" && -z "$b" ]] && continue
    ratio="-"
    [[ -n "$a" && -n "$b" ]] && ratio="$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
    echo "| $name | ${a:--} | ${b:--} | $ratio |"
  done
  echo
  echo "Commands (a fresh server on a free <port> for every run):"
  echo
  for s in "${SCENARIOS[@]}"; do
    IFS='|' read -r name _ <<<"$s"
    selected "$name" || continue
    echo "- $name: ${commands[$name]}"
  done
  if [[ ${#failures[@]} -gt 0 ]]; then
    echo
    echo "Failures:"
    echo
    for k in $(printf '%s\n' "${!failures[@]}" | sort); do
      side="${k#*/}"
      case "$side" in A) who="Meridian" ;; B) who="nats-server" ;; *) who="$side" ;; esac
      echo "- ${k%/*} on $who: ${failures[$k]}"
    done
  fi
  echo
  echo "Total time: $(( $(now) - started )) s. Logs: $work"
} >"$report"
cat "$report"
[[ -n "$out" ]] && cp "$report" "$out"
# Non-zero when any run failed, so CI notices.
[[ ${#failures[@]} -eq 0 ]]
