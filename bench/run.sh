#!/usr/bin/env bash
# SipRelay vs. Kamailio 5.6 on the same SIPp load ladder, one run, one table.  See bench/README.md.
#
#   bench/run.sh                                    # all 3 scenarios, harness defaults (2 reps, 20 s steps)
#   bench/run.sh --repeat 1 --duration 10           # short ladder
#   bench/run.sh --scenarios options --rates "10000 20000"
#   bench/run.sh --only siprelay --gc parallel      # one side only (the table then has one column)
#
# Own options (everything else goes to the harness, for both targets alike):
#   --results DIR     where the .jsonl/.txt/summary go (default: bench/results/<timestamp>)
#   --only kamailio|siprelay
#   --gc serial|parallel|g1|zgc|shenandoah   GC of the SipRelay JVM (default serial; the concurrent ones trade
#                     CPU for shorter pauses, see RESULTS.md)
#   --jvm-opts "..."  extra JVM options for the SipRelay app (after the defaults)
#   --lanes N         worker lanes of the SipRelay app (BENCH_LANES, default 2)
#   --heap SIZE       SipRelay heap for options/register (default 512m)
#   --calls-heap SIZE SipRelay heap for calls (default 2g, as Kamailio's -m 2048 shared memory: transactions
#                     are kept 32 s (64*T1) after they end, ~40 KB per call)
#   --calls-young SIZE young generation of the calls app (default 192m; with -XX:MaxTenuringThreshold=1): finished
#                     transactions live 32 s, so copying them between survivor spaces made young pauses of
#                     150-250 ms with the JVM's default sizing; a small young generation that promotes at once
#                     keeps pauses near 30-80 ms. Smaller is not better: 32m cuts the p99 at 1500 calls/s from
#                     52-60 ms to 8-12 ms, but every young GC also scans the old generation's dirty cards
#                     (lingering transactions): at 3500 calls/s GC took 10.4 s (32m) and 6.8 s (64m) of a
#                     ~35 s run, and 32m-96m collapsed (2,000-9,000 failed) where 192m stayed up
#                     (bench/RESULTS.md, session 9)
#   --build           run 'mvn -q -B install -DskipTests -pl proxy-benchmarks -am' first (says so)
#   --cold            no harness warm-up: the first ladder step hits a freshly started proxy at once (the app's own
#                     start-up JIT warm-up still runs before its port opens, as it does in production)
#   --no-jit-warmup   also switch the app's start-up warm-up off (BENCH_WARMUP_MS=0): a JVM exactly as cold as it gets
#   --jvm-defaults    run the SipRelay app as plain 'java -jar' (the JVM's own GC and heap sizing, as the example PBX
#                     starts from README) instead of the tuned flags above; --gc, --heap, --calls-* are then ignored
#   --two-cores       proxy and SIPp both allowed CPUs 0,1 (as on a real box) instead of one pinned core each;
#                     Kamailio keeps its 4 workers, the SipRelay app gets --lanes (default 2)
#
# It installs nothing.  The harness is ../shared/bench/run.sh beside the repository, or $SIPRELAY_BENCH_HARNESS.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
harness=${SIPRELAY_BENCH_HARNESS:-$root/../shared/bench/run.sh}
jar=$root/proxy-benchmarks/target/bench-proxy.jar

cold=0 two_cores=0 jvm_defaults=0 jit_warmup=1 results="" only="" gc=serial heap=512m calls_heap=2g calls_young=192m jvm_extra="" lanes=2 build=0 have_warmup=0
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --results) results=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --gc) gc=$2; shift 2 ;;
    --jvm-opts) jvm_extra=$2; shift 2 ;;
    --lanes) lanes=$2; shift 2 ;;
    --heap) heap=$2; shift 2 ;;
    --calls-heap) calls_heap=$2; shift 2 ;;
    --calls-young) calls_young=$2; shift 2 ;;
    --build) build=1; shift ;;
    --cold) cold=1; shift ;;
    --no-jit-warmup) jit_warmup=0; shift ;;
    --two-cores) two_cores=1; shift ;;
    --jvm-defaults) jvm_defaults=1; shift ;;
    --warmup) have_warmup=1; pass+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,/^# It installs nothing/p' "$0" | sed 's/^# \{0,1\}//'; echo; echo "harness options:";
               [ -x "$harness" ] && "$harness" --help | sed -n '/^options:/,$p'; exit 0 ;;
    *) pass+=("$1"); shift ;;
  esac
done
case "$gc" in serial) gcflag=-XX:+UseSerialGC ;; parallel) gcflag=-XX:+UseParallelGC ;; g1) gcflag=-XX:+UseG1GC ;;
  zgc) gcflag=-XX:+UseZGC ;; shenandoah) gcflag=-XX:+UseShenandoahGC ;;
  *) echo "--gc must be serial, parallel, g1, zgc or shenandoah" >&2; exit 2 ;; esac
case "$only" in ""|kamailio|siprelay) ;; *) echo "--only must be kamailio or siprelay" >&2; exit 2 ;; esac

# ---- requirements: say what is missing, install nothing
missing_pkgs=()
command -v sipp >/dev/null || missing_pkgs+=(sip-tester)
if [ "$only" != siprelay ]; then
  command -v kamailio >/dev/null || PATH=$PATH:/usr/sbin command -v kamailio >/dev/null || missing_pkgs+=(kamailio)
  if command -v dpkg-query >/dev/null && ! dpkg-query -W -f='${Status}' kamailio-sqlite-modules 2>/dev/null | grep -q "ok installed"; then
    missing_pkgs+=(kamailio-sqlite-modules)
  fi
fi
command -v python3 >/dev/null || missing_pkgs+=(python3)
command -v taskset >/dev/null || missing_pkgs+=(util-linux)
if [ ${#missing_pkgs[@]} -gt 0 ]; then
  echo "bench: missing Debian packages; install them with:" >&2
  echo "  sudo apt-get install -y ${missing_pkgs[*]}" >&2
  exit 2
fi
if [ "$only" != kamailio ]; then
  command -v java >/dev/null || { echo "bench: java (JDK 17+) not on PATH" >&2; exit 2; }
fi
if [ ! -x "$harness" ]; then
  echo "bench: SIPp harness not found at $harness" >&2
  echo "  put the shared bench folder beside the repository (../shared/bench) or set SIPRELAY_BENCH_HARNESS=/path/to/run.sh" >&2
  exit 2
fi

# ---- the SipRelay app
if [ "$only" != kamailio ]; then
  if [ $build = 1 ]; then
    echo "bench: building: (cd $root && mvn -q -B install -DskipTests -pl proxy-benchmarks -am)"
    (cd "$root" && mvn -q -B install -DskipTests -pl proxy-benchmarks -am)
  fi
  if [ ! -f "$jar" ]; then
    echo "bench: $jar is missing; build it first:" >&2
    echo "  (cd $root && mvn -q -B install -DskipTests)      # or: bench/run.sh --build ..." >&2
    exit 2
  fi
  if [ -n "$(find "$root/proxy-benchmarks/src" "$root/proxy-core/src/main" -newer "$jar" -name '*.java' 2>/dev/null | head -1)" ]; then
    echo "bench: warning: sources are newer than $jar (rebuild with --build)" >&2
  fi
fi

# JIT warm-up: the harness default (5 s) is short for a JVM (a cold JVM on one core falls behind, SIPp
# retransmits, the backlog snowballs); both targets get the same warm-up.
if [ $cold = 1 ]; then
  [ $have_warmup = 1 ] && { echo "bench: --cold and --warmup exclude each other" >&2; exit 2; }
  pass+=(--warmup 0)
else
  [ $have_warmup = 1 ] || pass+=(--warmup 20)
fi
[ $jit_warmup = 1 ] || export BENCH_WARMUP_MS=0
[ $two_cores = 0 ] || pass+=(--proxy-cpus 0,1 --sipp-cpus 0,1)

stamp=$(date +%Y%m%d-%H%M%S)
results=${results:-$here/results/$stamp}
mkdir -p "$results"
results=$(cd "$results" && pwd)
jvm_opts="$gcflag -Xss512k $jvm_extra"
export BENCH_LANES=$lanes
proxy_cmd="java -Xms$heap -Xmx$heap $jvm_opts -jar $jar"
calls_cmd="java -Xms$calls_heap -Xmx$calls_heap -Xmn$calls_young -XX:MaxTenuringThreshold=1 $jvm_opts -jar $jar"
if [ $jvm_defaults = 1 ]; then
  proxy_cmd="java $jvm_extra -jar $jar"
  calls_cmd=$proxy_cmd
fi

{
  echo "# started $(date -Is) on $(hostname), $(nproc) cpus"
  echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# harness: $harness"
  echo "# harness options: ${pass[*]:-}"
  echo "# mode: $([ $cold = 1 ] && echo cold || echo warm)$([ $jit_warmup = 1 ] || echo ', no JIT warm-up')$([ $two_cores = 1 ] && echo ', two cores shared' || echo ', one pinned core each')$([ $jvm_defaults = 1 ] && echo ', JVM defaults')"
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "# SipRelay command: BENCH_LANES=$lanes $proxy_cmd"
  echo "# SipRelay command (calls): BENCH_LANES=$lanes $calls_cmd"
  [ "$only" = siprelay ] || echo "# kamailio: $(PATH=$PATH:/usr/sbin kamailio -v 2>/dev/null | head -1)"
  echo "# sipp: $(sipp -v 2>/dev/null | grep -o 'SIPp v[^ ]*' | head -1)"
  echo "# java: $(java -version 2>&1 | head -1)"
} | tee "$results/meta.txt"

run_target() { # name, harness args...
  local name=$1; shift
  echo "bench: load average before $name: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results/meta.txt"
  "$harness" "$@" "${pass[@]}" --json "$results/$name.jsonl" 2>&1 | tee "$results/$name.txt"
  echo "bench: load average after $name: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results/meta.txt"
}

: > "$results/kamailio.jsonl"; : > "$results/siprelay.jsonl"
[ "$only" = siprelay ] || run_target kamailio --target kamailio
[ "$only" = kamailio ] || PROXY_CMD_OPTIONS=$proxy_cmd PROXY_CMD_REGISTER=$proxy_cmd PROXY_CMD_CALLS=$calls_cmd \
  run_target siprelay --target cmd

echo
python3 "$here/compare.py" --meta "$results/meta.txt" "$results/kamailio.jsonl" "$results/siprelay.jsonl" \
  | tee "$results/summary.md"
echo
echo "bench: results in $results"
