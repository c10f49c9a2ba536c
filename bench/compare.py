#!/usr/bin/env python3
"""One table from two harness --json files: Kamailio vs. SipRelay per scenario.

    python3 bench/compare.py kamailio.jsonl siprelay.jsonl [--meta meta.txt]

Per scenario and target, over the repetitions in the file:
  max clean rate   highest ladder step that was clean (median over repetitions; range in brackets)
  per CPU-s        successful calls per proxy CPU-second at that step
  p50/p95/p99      SipRelay's response times at that step (SIPp, whole ms)
  failed/retrans   at that step (0 by definition of clean) and at the first unclean step (why the ladder stopped)
Then the same at equal offered rates: per CPU-s of both sides at every rate both reached (clean or not).
Ratios are SipRelay / Kamailio (> 1 = SipRelay better, for per CPU-s and max clean rate).
stdlib only.
"""
import argparse
import json
import statistics
import sys
from collections import defaultdict

SCENARIOS = ["options", "register", "calls"]
UNIT = {"options": "OPTIONS", "register": "REGISTER+digest", "calls": "calls (INVITE..BYE)"}


def load(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    rows.append(json.loads(line))
    except FileNotFoundError:
        pass
    return rows


def by_rep(rows):
    out = defaultdict(lambda: defaultdict(list))  # scenario -> rep -> steps in order
    for r in rows:
        out[r["scenario"]][r.get("rep", 1)].append(r)
    return out


def best(steps):
    """(highest clean step, first unclean step) of one ladder."""
    clean = [s for s in steps if s.get("clean")]
    top = max(clean, key=lambda s: s["target_rate"]) if clean else None
    after = [s for s in steps if not s.get("clean") and (top is None or s["target_rate"] > top["target_rate"])]
    stop = min(after, key=lambda s: s["target_rate"]) if after else None
    return top, stop


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, nd=0):
    if v is None:
        return "-"
    if nd == 0:
        return f"{v:,.0f}"
    return f"{v:,.{nd}f}"


def rng(values, nd=0):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    m = fmt(statistics.median(values), nd)
    if len(values) > 1 and min(values) != max(values):
        return f"{m} ({fmt(min(values), nd)}–{fmt(max(values), nd)})"
    return m


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def why(stop):
    if stop is None:
        return "ladder end"
    bits = []
    if stop.get("failed"):
        bits.append(f"{stop['failed']} failed")
    if stop.get("retrans"):
        bits.append(f"{stop['retrans']} retrans")
    if stop.get("achieved") is not None and stop["achieved"] < 0.95 * stop["target_rate"]:
        bits.append(f"achieved {stop['achieved']:.0f}")
    if stop.get("p95_ms") is not None and stop["p95_ms"] > 50:
        bits.append(f"p95 {stop['p95_ms']:.0f} ms")
    return f"{stop['target_rate']}: " + (", ".join(bits) or "unclean")


def summarize(reps):
    tops, stops = [], []
    for rep in sorted(reps):
        t, s = best(reps[rep])
        tops.append(t)
        stops.append(s)
    ok = [t for t in tops if t]
    return {
        "reps": len(tops),
        "rate": [t["target_rate"] if t else None for t in tops],
        "achieved": [t["achieved"] for t in ok],
        "per_cpu": [t["per_cpu_s"] for t in ok],
        "cpu_pct": [t["proxy_cpu_pct"] for t in ok],
        "p50": [t["p50_ms"] for t in ok], "p95": [t["p95_ms"] for t in ok], "p99": [t["p99_ms"] for t in ok],
        "failed": sum(t["failed"] for t in ok), "retrans": sum(t["retrans"] for t in ok),
        "drops": sum(t.get("udp_drops") or 0 for t in ok),
        "stops": "; ".join(why(s) for s in stops),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kamailio")
    ap.add_argument("siprelay")
    ap.add_argument("--meta")
    a = ap.parse_args()
    kam, sr = by_rep(load(a.kamailio)), by_rep(load(a.siprelay))
    mode = "one pinned core"
    if a.meta:
        try:
            with open(a.meta) as f:
                for line in f:
                    if line.startswith("# mode: "):
                        mode = line[len("# mode: "):].strip()
                    if ("load average" in line or line.startswith("# harness options") or "SipRelay command" in line
                            or line.startswith("# mode: ") or line.startswith("# cpu: ")):
                        print(line.rstrip().lstrip("# "), end="  \n")
        except FileNotFoundError:
            pass
        print()
    scen = [s for s in SCENARIOS if s in kam or s in sr] + sorted((set(kam) | set(sr)) - set(SCENARIOS))

    print(f"## SipRelay vs. Kamailio: max clean rate ({mode})\n")
    print("| scenario | proxy | max clean rate/s | achieved/s | per proxy CPU-s | proxy CPU % | p50 / p95 / p99 ms "
          "| failed / retrans / udp drops | stopped at | ratio rate | ratio per CPU-s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for sc in scen:
        k = summarize(kam[sc]) if sc in kam else None
        s = summarize(sr[sc]) if sc in sr else None
        for name, d in (("Kamailio", k), ("SipRelay", s)):
            if d is None:
                continue
            rates = [r for r in d["rate"]]
            rate_txt = rng([r for r in rates if r is not None]) if any(r is not None for r in rates) else "none clean"
            lat = f"{rng(d['p50'])} / {rng(d['p95'])} / {rng(d['p99'])}"
            r_rate = r_cpu = ""
            if name == "SipRelay" and k is not None:
                r_rate = ratio(med(s["rate"]), med(k["rate"]))
                r_cpu = ratio(med(s["per_cpu"]), med(k["per_cpu"]))
            print(f"| {UNIT.get(sc, sc)} | {name} | {rate_txt} | {rng(d['achieved'])} | {rng(d['per_cpu'])} "
                  f"| {rng(d['cpu_pct'])} | {lat} | {d['failed']} / {d['retrans']} / {d['drops']} | {d['stops']} "
                  f"| {r_rate} | {r_cpu} |")

    print("\n## Same offered rate (median over repetitions; * = step not clean)\n")
    print("| scenario | rate/s | Kamailio per CPU-s | SipRelay per CPU-s | ratio | Kamailio CPU % | SipRelay CPU % "
          "| Kamailio p95 ms | SipRelay p95 ms | SipRelay failed / retrans |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for sc in scen:
        kr, sr_ = defaultdict(list), defaultdict(list)
        for rep in kam.get(sc, {}).values():
            for st in rep:
                kr[st["target_rate"]].append(st)
        for rep in sr.get(sc, {}).values():
            for st in rep:
                sr_[st["target_rate"]].append(st)
        for rate in sorted(set(kr) & set(sr_)):
            ks, ss = kr[rate], sr_[rate]
            star = lambda xs: "" if all(x.get("clean") for x in xs) else "*"
            kc, sc_ = med([x["per_cpu_s"] for x in ks]), med([x["per_cpu_s"] for x in ss])
            print(f"| {UNIT.get(sc, sc)} | {rate} | {fmt(kc)}{star(ks)} | {fmt(sc_)}{star(ss)} | {ratio(sc_, kc)} "
                  f"| {fmt(med([x['proxy_cpu_pct'] for x in ks]))} | {fmt(med([x['proxy_cpu_pct'] for x in ss]))} "
                  f"| {fmt(med([x['p95_ms'] for x in ks]))} | {fmt(med([x['p95_ms'] for x in ss]))} "
                  f"| {sum(x['failed'] for x in ss)} / {sum(x['retrans'] for x in ss)} |")
    print("\nper proxy CPU-s = successful calls / CPU seconds (user+sys) of the proxy process tree, the fair number "
          "on a shared box; max clean rate is capped by the one core the proxy is pinned to (and for OPTIONS partly "
          "by SIPp). Ratios: SipRelay / Kamailio.")


if __name__ == "__main__":
    sys.exit(main())
