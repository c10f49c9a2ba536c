#!/usr/bin/env bash
# Soak test: mixed SIP traffic (OPTIONS, REGISTER with digest auth, calls) through one SipRelay proxy for a fixed
# time at about half its capacity, then checks that nothing is left behind.  See bench/README.md ("Soak").
#
#   bench/soak.sh                                  # 30 s warm-up, 600 s soak at the default rates
#   bench/soak.sh --duration 60 --warmup 10        # short run
#   bench/soak.sh --options-rate 3000 --register-rate 1000 --calls-rate 200
#
# Options:
#   --duration S        measured load, seconds (default 600)
#   --warmup S          warm-up at the same rates before it, not counted (default 30; 0 = none)
#   --options-rate N    OPTIONS per second (default 10000)
#   --register-rate N   registrations (REGISTER/401/REGISTER+digest/200) per second (default 2000)
#   --calls-rate N      calls (INVITE/100/180/200/ACK/BYE/200) per second (default 500)
#                       The defaults are 1/5, 1/5 and 1/8 of the highest rate each scenario ran clean on
#                       this machine (50k, 10k, 4k: the ladders' ends, bench/RESULTS.md session 3): half of
#                       those rates together (its core was 33-66 % busy there, so its real maximum is higher).
#   --results DIR       where everything goes (default bench/results/soak-<timestamp>/, git-ignored)
#   --heap SIZE         proxy heap, -Xms and -Xmx (default 1g)
#   --jvm-opts "..."    extra JVM options for the proxy (after the defaults)
#   --port N            proxy UDP port (default 5163); SIPp UAS --uas-port (5091), clients --sipp-port N (5183,
#                       5183..5185 for options, register, calls)
#   --proxy-cpu LIST    taskset CPU list of the proxy (default 1); --sipp-cpu LIST for SIPp and jcmd (default 0)
#   --sample S          sample the proxy every S seconds into samples.csv (default 30)
#   --drain S           after the load, wait up to S seconds for 0 transactions (default 60; finished
#                       transactions linger 32 s = 64*T1)
#   --heap-slack-mb N   "heap flat": heap after full GC may end at most N MB above its start (default 8)
#
# Exit status: 0 when every criterion passed, 1 when one failed, 2 on a usage or setup error.  It installs
# nothing, listens on 127.0.0.1 only and stops only the processes it started (by PID).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
harness=${SIPRELAY_BENCH_HARNESS:-$root/../shared/bench/run.sh}
sippdir=$(dirname "$harness")/sipp
jar=$root/proxy-benchmarks/target/bench-proxy.jar

duration=600 warmup=30 opt_rate=10000 reg_rate=2000 call_rate=500 results="" heap=1g jvm_extra=""
port=5163 uas_port=5091 sipp_port=5183 proxy_cpu=1 sipp_cpu=0 sample_every=30 drain_max=60 heap_slack=8
realm=bench.test sipp_buff=4194304

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "soak: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) need_arg "$@"; duration=$2; shift 2 ;;
    --warmup) need_arg "$@"; warmup=$2; shift 2 ;;
    --options-rate) need_arg "$@"; opt_rate=$2; shift 2 ;;
    --register-rate) need_arg "$@"; reg_rate=$2; shift 2 ;;
    --calls-rate) need_arg "$@"; call_rate=$2; shift 2 ;;
    --results) need_arg "$@"; results=$2; shift 2 ;;
    --heap) need_arg "$@"; heap=$2; shift 2 ;;
    --jvm-opts) need_arg "$@"; jvm_extra=$2; shift 2 ;;
    --port) need_arg "$@"; port=$2; shift 2 ;;
    --uas-port) need_arg "$@"; uas_port=$2; shift 2 ;;
    --sipp-port) need_arg "$@"; sipp_port=$2; shift 2 ;;
    --proxy-cpu) need_arg "$@"; proxy_cpu=$2; shift 2 ;;
    --sipp-cpu) need_arg "$@"; sipp_cpu=$2; shift 2 ;;
    --sample) need_arg "$@"; sample_every=$2; shift 2 ;;
    --drain) need_arg "$@"; drain_max=$2; shift 2 ;;
    --heap-slack-mb) need_arg "$@"; heap_slack=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "soak: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in duration warmup opt_rate reg_rate call_rate port uas_port sipp_port sample_every drain_max heap_slack; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "soak: $v must be a whole number, got '${!v}'" >&2; exit 2; }
done
[ "$duration" -gt 0 ] && [ "$sample_every" -gt 0 ] || { echo "soak: --duration and --sample must be > 0" >&2; exit 2; }

# ---- prerequisites: say what is missing, install nothing
missing=()
command -v sipp >/dev/null || missing+=("sipp: sudo apt-get install -y sip-tester   (SIPp 3.6.1 on Debian 12)")
command -v taskset >/dev/null || missing+=("taskset: sudo apt-get install -y util-linux")
command -v awk >/dev/null || missing+=("awk: sudo apt-get install -y mawk")
command -v java >/dev/null || missing+=("java: a JDK 17+, e.g. sudo apt-get install -y openjdk-17-jdk-headless")
command -v jcmd >/dev/null || missing+=("jcmd (from the JDK, not a JRE): sudo apt-get install -y openjdk-17-jdk-headless")
[ -f "$jar" ] || missing+=("$jar: build it with (cd $root && mvn -q -B install -DskipTests)")
for f in options.xml register_auth.xml uac_rr.xml uas_rr.xml users.csv; do
  [ -f "$sippdir/$f" ] || { missing+=("$sippdir/$f: the shared SIPp harness (../shared/bench beside the repository, or SIPRELAY_BENCH_HARNESS=/path/to/run.sh)"); break; }
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "soak: missing prerequisites:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 2
fi
if [ "$(nproc)" -lt 2 ]; then echo "soak: needs at least 2 CPUs (proxy on one, SIPp on another)" >&2; exit 2; fi
if [ -n "$(find "$root/proxy-benchmarks/src" "$root/proxy-core/src/main" -newer "$jar" -name '*.java' 2>/dev/null | head -1)" ]; then
  echo "soak: warning: sources are newer than $jar (rebuild it)" >&2
fi

udp_bound() { # port -> 0 when a local UDP socket is bound to that port (any address)
  awk -v p="$(printf ':%04X' "$1")" 'FNR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/udp /proc/net/udp6 2>/dev/null
}
opt_port=$sipp_port reg_port=$((sipp_port + 1)) call_port=$((sipp_port + 2))
for p in "$port" "$uas_port" "$opt_port" "$reg_port" "$call_port"; do
  if udp_bound "$p"; then echo "soak: UDP port $p is already in use (see --port, --uas-port, --sipp-port)" >&2; exit 2; fi
done

stamp=$(date +%Y%m%d-%H%M%S)
results=${results:-$here/results/soak-$stamp}
mkdir -p "$results"
results=$(cd "$results" && pwd)
stats_file=$results/proxy-stats.log
samples=$results/samples.csv
clk=$(getconf CLK_TCK)

# ---- processes we start, stopped by PID on exit
started=()
forget_pid() { # pid: reaped, so no longer ours (the number may be reused)
  local keep=() p
  for p in "${started[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  started=("${keep[@]}")
}
stop_pid() { # pid (one we started and have not reaped): TERM, up to 10 s, then KILL
  local pid=$1 i
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}
cleanup() {
  local i
  local -a pids=("${started[@]}")
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[i]}"; done
}
trap cleanup EXIT
trap 'echo "soak: interrupted" >&2; exit 130' INT TERM

log() { echo "soak: $(date +%H:%M:%S) $*" >&2; }

# ---- the proxy
mkdir -p "$results/proxy"
# -UseDynamicNumberOfCompilerThreads: a fixed JIT thread pool, so "no thread growth" is not tripped by the JIT.
# MarkSweepDeadRatio=0: every full GC compacts completely.  By default Serial's full GC may leave up to 5 % of the
# old generation (35 MB of a 1 GB heap) as uncompacted dead objects counted as used, so "heap after full GC" would
# jump by up to 35 MB between two measurements for no reason (seen: 35 MB after one full GC, 5 MB after the next).
# Only full GCs are affected, and in this soak only the script's own ones run.
jvm_opts="-Xms$heap -Xmx$heap -XX:+UseSerialGC -Xss512k -XX:-UseDynamicNumberOfCompilerThreads -XX:MarkSweepDeadRatio=0 -Xmn192m -XX:MaxTenuringThreshold=1"
jvm_opts+=" -Xlog:gc:file=$results/proxy/gc.log:uptime $jvm_extra"
proxy_cmd="java $jvm_opts -jar $jar"
{
  echo "# soak started $(date -Is) on $(hostname), $(nproc) cpus"
  echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# command: $0 --duration $duration --warmup $warmup --options-rate $opt_rate --register-rate $reg_rate --calls-rate $call_rate"
  echo "# proxy: BENCH_SCENARIO=mixed BENCH_PORT=$port BENCH_UAS_HOSTPORT=127.0.0.1:$uas_port BENCH_LANES=2 taskset -c $proxy_cpu $proxy_cmd"
  echo "# sipp: $(sipp -v 2>/dev/null | grep -o 'SIPp v[^ ,]*' | head -1 | sed 's/\.$//'), scenarios from $sippdir, pinned to CPU $sipp_cpu"
  echo "# java: $(java -version 2>&1 | head -1)"
} > "$results/meta.txt"
cat "$results/meta.txt" >&2

(cd "$results/proxy" && BENCH_SCENARIO=mixed BENCH_HOST=127.0.0.1 BENCH_PORT=$port BENCH_REALM=$realm \
  BENCH_USERS_CSV=$sippdir/users.csv BENCH_UAS_HOSTPORT=127.0.0.1:$uas_port BENCH_LANES=2 \
  BENCH_STATS_SECONDS=1 BENCH_STATS_FILE=$stats_file \
  exec taskset -c "$proxy_cpu" $proxy_cmd) > "$results/proxy/proxy.log" 2>&1 < /dev/null &
proxy_pid=$!
started+=("$proxy_pid")
for i in $(seq 600); do
  { udp_bound "$port" && [ -s "$stats_file" ]; } && break
  kill -0 "$proxy_pid" 2>/dev/null || { echo "soak: the proxy exited; see $results/proxy/proxy.log" >&2; exit 2; }
  sleep 0.1
done
udp_bound "$port" || { echo "soak: the proxy did not bind udp 127.0.0.1:$port within 60 s" >&2; exit 2; }
log "proxy pid $proxy_pid on udp 127.0.0.1:$port (CPU $proxy_cpu)"

# ---- proxy probes
stat_row() { # stat.csv -> "ok failed retrans created elapsed_s" from its last row (-1 when unreadable)
  awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next } NF > 1 { last = $0 }
    END {
      if (!("SuccessfulCall(C)" in col) || last == "") { print "-1 -1 -1 -1 0"; exit }
      n = split(last, f, ";")
      ns = split(f[col["StartTime"]], a, /[ \t]+/); ne = split(f[col["CurrentTime"]], b, /[ \t]+/)
      printf "%d %d %d %d %.1f\n", f[col["SuccessfulCall(C)"]], f[col["FailedCall(C)"]], \
        f[col["Retransmissions(C)"]], f[col["TotalCallCreated"]], b[ne] - a[ns]
    }' "$1" 2>/dev/null || echo "-1 -1 -1 -1 0"
}
declare -A S
read_stats() { # latest "stats k=v ..." line of the proxy into S[...]
  local line kv
  line=$(tail -n 1 "$stats_file" 2>/dev/null || true)
  S=()
  for kv in $line; do [[ $kv == *=* ]] && S[${kv%%=*}]=${kv#*=}; done
  return 0
}
threads_of() { awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo -1; }
fds_of() { local n; n=$(ls "/proc/$1/fd" 2>/dev/null | wc -l) || n=-1; echo "$n"; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
jtool() { taskset -c "$sipp_cpu" "$@"; }
heap_after_gc_kb() { # full GC, then the used heap in KB (sum over generations)
  jtool jcmd "$proxy_pid" GC.run > /dev/null
  jtool jcmd "$proxy_pid" GC.heap_info \
    | awk '/total [0-9]+K, used [0-9]+K/ && !/Metaspace|class space/ {
             for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); gsub(/[^0-9]/, "", v); s += v } }
           END { print s + 0 }'
}
snapshot() { # name: heap after full GC, threads, fds, transactions -> snap_<name>_*
  local name=$1 kb
  kb=$(heap_after_gc_kb)
  jtool jcmd "$proxy_pid" GC.class_histogram > "$results/proxy/histogram-$name.txt" || true
  sleep 1.5; read_stats   # a stats line written after the GC
  printf -v "snap_${name}_heap_mb" '%.1f' "$(echo "$kb" | awk '{ print $1 / 1024 }')"
  printf -v "snap_${name}_threads" '%s' "$(threads_of "$proxy_pid")"
  printf -v "snap_${name}_fds" '%s' "$(fds_of "$proxy_pid")"
  printf -v "snap_${name}_tx" '%s' "${S[serverTx]:-?}/${S[clientTx]:-?}/${S[relays]:-?}"
  local h="snap_${name}_heap_mb" t="snap_${name}_threads" f="snap_${name}_fds" x="snap_${name}_tx"
  log "$name: heap after full GC ${!h} MB, threads ${!t}, fds ${!f}, serverTx/clientTx/relays ${!x}"
}

echo "t_epoch,elapsed_s,phase,serverTx,clientTx,relays,received,localTimeouts,overloadRejected,heapUsedMB,threads,fds,proxy_cpu_pct" > "$samples"
t0=$(date +%s) next_sample=$t0 last_sample_t=$t0 last_sample_ticks=$(cpu_ticks "$proxy_pid")
maybe_sample() { # phase: a row in samples.csv when one is due
  local now ticks pct
  now=$(date +%s)
  [ "$now" -ge "$next_sample" ] || return 0
  next_sample=$((now + sample_every))
  read_stats
  ticks=$(cpu_ticks "$proxy_pid")
  pct=$(awk -v d="$((ticks - last_sample_ticks))" -v t="$((now - last_sample_t))" -v c="$clk" \
        'BEGIN { printf "%.0f", (t > 0 ? 100 * d / c / t : 0) }')
  last_sample_t=$now last_sample_ticks=$ticks
  echo "$now,$((now - t0)),$1,${S[serverTx]:-},${S[clientTx]:-},${S[relays]:-},${S[received]:-},${S[localTimeouts]:-},${S[overloadRejected]:-},${S[heapUsedMB]:-},$(threads_of "$proxy_pid"),$(fds_of "$proxy_pid"),$pct" >> "$samples"
}
proxy_alive() { kill -0 "$proxy_pid" 2>/dev/null || { echo "soak: the proxy died; see $results/proxy/proxy.log" >&2; exit 1; }; }

# ---- SIPp
sipp_common=(-i 127.0.0.1 -nostdin -buff_size "$sipp_buff" -trace_screen -trace_err -max_log_size 10000000)
start_uas() { # phase seconds: a fresh SIPp UAS for each phase (its counts are that phase's), in $results/<phase>/uas/
  local d=$results/$1/uas limit=$(($2 + drain_max + 600))
  mkdir -p "$d"
  (cd "$d" && exec taskset -c "$sipp_cpu" sipp -sf "$sippdir/uas_rr.xml" -p "$uas_port" "${sipp_common[@]}" \
      -trace_stat -stf stat.csv -fd 10 -timeout "${limit}s" -default_behaviors all,-abortunexp) \
    > "$d/sipp.stdout" 2>&1 < /dev/null &
  uas_pid=$!
  started+=("$uas_pid")
  for i in $(seq 100); do udp_bound "$uas_port" && { log "$1: SIPp UAS pid $uas_pid on 127.0.0.1:$uas_port"; return 0; }; sleep 0.1; done
  echo "soak: the SIPp UAS did not start; see $d/sipp.stdout" >&2; exit 2
}
declare -A client_pid client_rc
start_clients() { # phase seconds: the three clients, each -m rate*seconds, in $results/<phase>/<client>/
  local phase=$1 secs=$2 name rate lport xml d
  local -a extra
  for name in options register calls; do
    case $name in
      options) rate=$opt_rate lport=$opt_port xml=options.xml extra=() ;;
      register) rate=$reg_rate lport=$reg_port xml=register_auth.xml extra=(-inf "$sippdir/users.csv" -key domain "$realm") ;;
      calls) rate=$call_rate lport=$call_port xml=uac_rr.xml extra=(-d 0 -s bench -default_behaviors all,-abortunexp) ;;
    esac
    [ "$rate" -gt 0 ] || continue
    d=$results/$phase/$name
    mkdir -p "$d"
    (cd "$d" && exec taskset -c "$sipp_cpu" sipp -sf "$sippdir/$xml" -p "$lport" "127.0.0.1:$port" "${sipp_common[@]}" \
        -r "$rate" -rp 1000 -m $((rate * secs)) -trace_stat -stf stat.csv -fd 10 -recv_timeout 5000 \
        -timeout "$((secs + 60))s" "${extra[@]}") > "$d/sipp.stdout" 2>&1 < /dev/null &
    client_pid[$name]=$!
    started+=("$!")
  done
}
wait_clients() { # phase seconds: until every client has exited (watchdog: seconds + 120)
  local phase=$1 deadline=$(( $(date +%s) + $2 + 120 )) name pid running rc
  while :; do
    running=0
    for name in "${!client_pid[@]}"; do
      pid=${client_pid[$name]}
      [ -n "$pid" ] || continue
      if kill -0 "$pid" 2>/dev/null; then running=1; continue; fi
      rc=0; wait "$pid" || rc=$?
      forget_pid "$pid"
      client_rc[$phase.$name]=$rc client_pid[$name]=""
    done
    [ $running = 1 ] || break
    proxy_alive
    maybe_sample "$phase"
    if [ "$(date +%s)" -gt "$deadline" ]; then
      log "$phase: SIPp still running after the watchdog; stopping it"
      for name in "${!client_pid[@]}"; do
        [ -n "${client_pid[$name]}" ] && stop_pid "${client_pid[$name]}" && client_rc[$phase.$name]=124 && client_pid[$name]=""
      done
      break
    fi
    sleep 1
  done
}
wait_drained() { # phase since_epoch -> drain_s (seconds from since_epoch to 0/0/0, or -1 on timeout)
  local phase=$1 since=$2 now
  drain_s=-1
  while :; do
    proxy_alive
    read_stats
    now=$(date +%s)
    if [ "${S[t]:-0}" -ge "$since" ] && [ "${S[serverTx]:-1}" = 0 ] && [ "${S[clientTx]:-1}" = 0 ] \
       && [ "${S[relays]:-1}" = 0 ]; then
      drain_s=$((S[t] - since)); return 0
    fi
    [ "$now" -lt $((since + drain_max)) ] || return 0
    maybe_sample "$phase"
    sleep 1
  done
}

# ---- warm-up (not counted), then wait until it drained so start and end are measured in the same idle state
warm_drain_s=n/a
if [ "$warmup" -gt 0 ]; then
  log "warm-up: $warmup s at options $opt_rate/s, register $reg_rate/s, calls $call_rate/s"
  [ "$call_rate" = 0 ] || start_uas warmup "$warmup"
  start_clients warmup "$warmup"
  wait_clients warmup "$warmup"
  log "warm-up done; waiting up to $drain_max s for the proxy's transactions to drain"
  wait_drained warmup-drain "$(date +%s)"
  warm_drain_s=$drain_s
  [ "$call_rate" = 0 ] || stop_pid "$uas_pid"
fi
[ "$call_rate" = 0 ] || start_uas soak "$duration"
snapshot start
gc_l0=$(wc -l < "$results/proxy/gc.log" 2>/dev/null || echo 0)   # gc.log lines before the soak

# ---- the soak
log "soak: $duration s at options $opt_rate/s, register $reg_rate/s, calls $call_rate/s"
load_t0=$(date +%s) load_ticks0=$(cpu_ticks "$proxy_pid")
next_sample=$load_t0
start_clients soak "$duration"
wait_clients soak "$duration"
load_t1=$(date +%s) load_ticks1=$(cpu_ticks "$proxy_pid")
gc_l1=$(wc -l < "$results/proxy/gc.log" 2>/dev/null || echo 0)
read_stats
stop_tx="${S[serverTx]:-?}/${S[clientTx]:-?}/${S[relays]:-?}"
log "load stopped (transactions then: $stop_tx); waiting up to $drain_max s for 0"
wait_drained drain "$load_t1"
soak_drain_s=$drain_s
read_stats
end_tx="${S[serverTx]:-?}/${S[clientTx]:-?}/${S[relays]:-?}"
maybe_sample drain
snapshot end
next_sample=0; maybe_sample end
load_avg_end=$(cut -d' ' -f1-3 /proc/loadavg)
[ "$call_rate" = 0 ] || stop_pid "$uas_pid"   # SIPp writes its final stats row when stopped

# ---- results
fail=0 notes=()
crit=()
verdict() { # ok(0/1) text detail
  if [ "$1" = 1 ]; then crit+=("| $2 | PASS | $3 |"); else crit+=("| $2 | **FAIL** | $3 |"); fail=1; fi
}

report=$results/report.md
{
  echo "# SipRelay soak: mixed traffic"
  echo
  echo "$(date -Is), $(hostname), $(nproc) CPUs; proxy pinned to CPU $proxy_cpu (\`$proxy_cmd\`, BENCH_SCENARIO=mixed),"
  echo "SIPp to CPU $sipp_cpu. Warm-up $warmup s (not counted), soak $duration s, then up to $drain_max s drain."
  echo "Load average (1/5/15 min) at start: $(sed -n 's/^# load average at start: //p' "$results/meta.txt"), at end: $load_avg_end."
  echo
  echo "## SIPp (soak only)"
  echo
  echo "| client | rate/s | expected | successful | failed | retransmissions | achieved/s | sipp exit |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$report"
all_ok=1 detail="" total_retrans=0
for name in options register calls; do
  case $name in options) rate=$opt_rate ;; register) rate=$reg_rate ;; calls) rate=$call_rate ;; esac
  [ "$rate" -gt 0 ] || continue
  read -r ok failed retrans created elapsed < <(stat_row "$results/soak/$name/stat.csv")
  expected=$((rate * duration)) rc=${client_rc[soak.$name]:-?}
  achieved=$(awk -v o="$ok" -v e="$elapsed" 'BEGIN { printf "%.0f", (e > 0 ? o / e : 0) }')
  echo "| $name | $rate | $expected | $ok | $failed | $retrans | $achieved | $rc |" >> "$report"
  if [ "$failed" != 0 ] || [ "$ok" != "$expected" ]; then all_ok=0; fi
  detail+="$name $failed failed, $ok/$expected successful; "
  [ "$retrans" -le 0 ] || total_retrans=$((total_retrans + retrans))
  awk -v a="$achieved" -v r="$rate" 'BEGIN { exit !(a < 0.95 * r) }' \
    && notes+=("$name achieved $achieved/s, below 95 % of $rate/s: SIPp or the proxy fell behind")
  if [ "$warmup" -gt 0 ]; then
    read -r wok wfailed wretrans _ _ < <(stat_row "$results/warmup/$name/stat.csv")
    [ "$wfailed" = 0 ] && [ "$wretrans" = 0 ] \
      || notes+=("warm-up $name (not counted): $wok successful, $wfailed failed, $wretrans retransmissions")
  fi
done
if [ "$call_rate" -gt 0 ]; then
  read -r uok ufailed uretrans _ _ < <(stat_row "$results/soak/uas/stat.csv")
  echo "| UAS (calls received) | - | $((call_rate * duration)) | $uok | $ufailed | $uretrans | - | (stopped at the end) |" >> "$report"
  [ "$ufailed" = 0 ] && [ "$uok" = $((call_rate * duration)) ] || all_ok=0
  detail+="UAS $ufailed failed, $uok/$((call_rate * duration)) successful; "
  [ "$uretrans" -le 0 ] || total_retrans=$((total_retrans + uretrans))
  if [ "$warmup" -gt 0 ]; then
    read -r wok wfailed wretrans _ _ < <(stat_row "$results/warmup/uas/stat.csv")
    [ "$wfailed" = 0 ] && [ "$wretrans" = 0 ] \
      || notes+=("warm-up UAS (not counted): $wok successful, $wfailed failed, $wretrans retransmissions")
  fi
fi
[ "$total_retrans" = 0 ] || notes+=("SIPp retransmitted $total_retrans times during the soak (not a criterion; at 50 % load it should be 0)")
verdict "$all_ok" "0 failed calls, every call completed" "${detail%; }"

heap_delta=$(awk -v a="$snap_start_heap_mb" -v b="$snap_end_heap_mb" 'BEGIN { printf "%+.1f", b - a }')
heap_ok=$(awk -v d="$heap_delta" -v s="$heap_slack" 'BEGIN { print ((d <= s) ? 1 : 0) }')
verdict "$heap_ok" "heap after full GC flat (end - start <= $heap_slack MB)" "$snap_start_heap_mb -> $snap_end_heap_mb MB ($heap_delta)"
verdict "$([ "$snap_end_threads" -le "$snap_start_threads" ] && echo 1 || echo 0)" "no thread growth" \
  "$snap_start_threads -> $snap_end_threads"
verdict "$([ "$snap_end_fds" -le "$snap_start_fds" ] && echo 1 || echo 0)" "no file-descriptor growth" \
  "$snap_start_fds -> $snap_end_fds"
verdict "$([ "$soak_drain_s" -ge 0 ] && echo 1 || echo 0)" "transactions back to 0 within $drain_max s after the load" \
  "$([ "$soak_drain_s" -ge 0 ] && echo "0/0/0 after $soak_drain_s s" || echo "still $end_tx after $drain_max s") (serverTx/clientTx/relays; $stop_tx when the load stopped)"

load_cpu=$(awk -v d="$((load_ticks1 - load_ticks0))" -v t="$((load_t1 - load_t0))" -v c="$clk" \
  'BEGIN { printf "%.0f", (t > 0 ? 100 * d / c / t : 0) }')
{
  echo
  echo "## Proxy"
  echo
  echo "| | start (after warm-up, drained) | end (after soak, drained) |"
  echo "|---|---|---|"
  echo "| heap after full GC (MB) | $snap_start_heap_mb | $snap_end_heap_mb |"
  echo "| threads (/proc) | $snap_start_threads | $snap_end_threads |"
  echo "| open fds (/proc) | $snap_start_fds | $snap_end_fds |"
  echo "| serverTx / clientTx / relays | $snap_start_tx | $snap_end_tx |"
  echo
  echo "Proxy CPU during the soak: $load_cpu % of one core (whole JVM, user+sys, $((load_t1 - load_t0)) s)."
  echo "Transactions when the load stopped: $stop_tx; drained to 0 in $([ "$soak_drain_s" -ge 0 ] && echo "$soak_drain_s s" || echo "more than $drain_max s") (warm-up: $(case $warm_drain_s in -1) echo "not within $drain_max s" ;; n/a) echo "none" ;; *) echo "$warm_drain_s s" ;; esac))."
  gc_soak=$(awk -v a="$gc_l0" -v b="$gc_l1" 'NR > a && NR <= b && /Pause/ {
      v = $NF; sub(/ms$/, "", v); n++; if (/Pause Full/) f++; t += v; if (v + 0 > m) m = v + 0 }
      END { printf "%d GCs (%d full), %.0f ms paused in total, longest pause %.0f ms", n, f, t, m }' \
    "$results/proxy/gc.log" 2>/dev/null || echo "?")
  echo "GC during the soak: $gc_soak (\`proxy/gc.log\`)."
  if awk -v d="$heap_delta" 'BEGIN { exit !(d > 1) }'; then
    echo
    echo "Largest growth by class, heap after full GC, end minus start (\`jcmd GC.class_histogram\`):"
    echo
    echo "| class | bytes | instances |"
    echo "|---|---|---|"
    awk 'FNR == 1 { f++ } $1 ~ /^[0-9]+:$/ { k = $4; if (f == 1) { b[k] -= $3; n[k] -= $2 } else { b[k] += $3; n[k] += $2 } }
         END { for (k in b) if (b[k] > 0) printf "%d %s %d\n", b[k], k, n[k] }' \
      "$results/proxy/histogram-start.txt" "$results/proxy/histogram-end.txt" 2>/dev/null \
      | sort -rn | head -10 | awk '{ printf "| `%s` | %+d | %+d |\n", $2, $1, $3 }' || true
  fi
  echo
  echo "## Criteria"
  echo
  echo "| criterion | result | detail |"
  echo "|---|---|---|"
  printf '%s\n' "${crit[@]}"
  echo
  if [ "$fail" = 0 ]; then echo "**Result: PASS**"; else echo "**Result: FAIL**"; fi
  if [ ${#notes[@]} -gt 0 ]; then
    echo
    echo "Notes:"
    printf -- '- %s\n' "${notes[@]}"
  fi
  echo
  echo "Files: \`$results\` (report.md, samples.csv every $sample_every s, proxy-stats.log every 1 s, SIPp output per phase/client)."
} >> "$report"

cleanup
echo
cat "$report"
exit "$fail"
