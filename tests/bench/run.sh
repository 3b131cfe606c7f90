#!/usr/bin/env bash
# Side-by-side benchmark: Meridian (A) against nats-server (B), same load
# generator, same machine, servers alternating A B A B ... so that drift in
# the machine's load hits both alike. Prints a Markdown table of medians.
#
#   tests/bench/run.sh                      # build, all scenarios, 3 rounds
#   tests/bench/run.sh --no-build --only pub16 --rounds 5
#   tests/bench/run.sh --meridian-cmd "nats-server -a 127.0.0.1 -p {port}"   # validate the harness
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
  --meridian-cmd CMD    server A command; {port} is replaced by a free port
                        (default: build/bin/meridian-server -a 127.0.0.1 -p {port} --admin_listen 127.0.0.1:0)
  --nats-cmd CMD        server B command (default: nats-server -a 127.0.0.1 -p {port})
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
meridian_cmd="$ROOT/build/bin/meridian-server -a 127.0.0.1 -p {port} --admin_listen 127.0.0.1:0"
nats_cmd="nats-server -a 127.0.0.1 -p {port}"
loadgen="$ROOT/build/bin/meridian-loadgen"
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
)

if [[ $list -eq 1 ]]; then
  for s in "${SCENARIOS[@]}"; do IFS='|' read -r n a c _ _ _ _ l <<<"$s"; printf '%-10s %s   [loadgen %s, msgs=%s]\n' "$n" "$l" "$a" "$c"; done
  exit 0
fi

selected() {
  [[ -z "$only" ]] && return 0
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

server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then stop_server; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port nobody listens on now (the server may still lose a race; then
# start_server fails and the run is retried once on another port).
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# Polls until 127.0.0.1:$1 accepts connections, the server exits, or 30 s pass.
wait_port() {
  local port="$1" deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# start_server CMD LOG: starts CMD ({port} substituted) in its own session;
# sets server_pid and server_port.
start_server() {
  local cmd="$1" log="$2"
  server_port="$(free_port)"
  local line="${cmd//\{port\}/$server_port}"
  # setsid: the server and any children form one process group that only we
  # started, so a stuck one can be killed by that group id.
  setsid "${server_pin[@]}" bash -c "exec $line" >"$log" 2>&1 &
  server_pid=$!
  if ! wait_port "$server_port"; then
    echo "run.sh: server did not open port $server_port: $line" >&2
    tail -n 5 "$log" | sed 's/^/    /' >&2
    stop_server
    return 1
  fi
}

# SIGTERM by PID, wait up to 20 s, then SIGKILL its process group.
stop_server() {
  local pid="$server_pid" deadline=$((SECONDS + 20))
  server_pid=""
  [[ -z "$pid" ]] && return 0
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: server $pid ignored SIGTERM for 20 s; killing its process group" >&2
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
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
  read -r -a argv <<<"$args"
  commands[$name]="server \`${server_pin[*]:+${server_pin[*]} }<A | B command>\`, then \`${loadgen_pin[*]:+${loadgen_pin[*]} }$loadgen $args --url=127.0.0.1:<port> --timeout=$run_timeout\`"

  if [[ "$name" == "ceiling" ]]; then
    sides=(sink)
  else
    sides=(A B)
  fi
  for ((r = 1; r <= rounds; r++)); do
    for side in "${sides[@]}"; do
      [[ -n "${failures[$name/$side]:-}" ]] && continue  # a failing server is not retried
      case "$side" in
        A) cmd="$meridian_cmd" ;;
        B) cmd="$nats_cmd" ;;
        sink) cmd="$loadgen sink --port={port} --timeout=$((run_timeout + 60))" ;;
      esac
      log="$work/$name-$side-$r.log"
      if ! start_server "$cmd" "$log" && ! start_server "$cmd" "$log"; then
        failures[$name/$side]="server did not start (see $log)"
        continue
      fi
      line="$(run_loadgen "${argv[@]}" --url="127.0.0.1:$server_port")"
      stop_server
      echo "  $name round $r $side: $line" >&2
      if [[ "$(kv status "$line")" != "ok" ]]; then
        err="$(sed -n 's/.*error="\(.*\)".*/\1/p' <<<"$line")"
        failures[$name/$side]="$(kv status "$line"): ${err:-$line}"
        continue
      fi
      for key in ${keys//,/ }; do
        results[$name/$side/$key]+="$(kv "$key" "$line")"$'\n'
      done
    done
  done
done

# --- report ------------------------------------------------------------------
report="$work/report.md"
{
  echo "## Meridian vs nats-server ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, medians of $rounds runs)"
  echo
  echo "- A (Meridian): \`$meridian_cmd\`"
  echo "- B (nats-server $(nats-server --version 2>/dev/null | awk '{print $NF}')): \`$nats_cmd\`"
  echo "- Each run starts a fresh server on a free port, runs the load generator, stops the server; servers alternate A B A B."
  if [[ $pin -eq 1 ]]; then
    echo "- CPU: throughput scenarios run the server on CPU 0 and the load generator on CPU 1; reqrep runs both on CPU 0 (taskset; see the commands below)."
  else
    echo "- CPU: not pinned."
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
