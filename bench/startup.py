#!/usr/bin/env python3
"""Startup to first SIP reply: start the SipRelay bench app, send OPTIONS over UDP every 5 ms until a 200 comes
back, print the milliseconds from process start.  Repeats N times (fresh JVM each time).  stdlib only.

    python3 bench/startup.py [--runs 5] [--scenario options|register] [--port 5170] [-- java options...]
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)


def options_request(host, port, local_port, call_id):
    branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
    return (f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:probe@127.0.0.1>;tag=st{uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:{host}:{port}>\r\n"
            f"Call-ID: {call_id}\r\n"
            f"CSeq: 1 OPTIONS\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


def one(args, java_opts):
    env = dict(os.environ, BENCH_SCENARIO=args.scenario, BENCH_HOST="127.0.0.1", BENCH_PORT=str(args.port),
               BENCH_REALM="bench.test", BENCH_USERS_CSV=args.users)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.005)
    local_port = sock.getsockname()[1]
    cmd = ["java"] + java_opts + ["-jar", args.jar]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sent = 0
        while time.monotonic() - t0 < args.timeout:
            call_id = f"startup-{sent}@probe"
            sock.sendto(options_request("127.0.0.1", args.port, local_port, call_id), ("127.0.0.1", args.port))
            sent += 1
            try:
                while True:
                    data = sock.recv(65535)
                    if data.startswith(b"SIP/2.0 200"):
                        return (time.monotonic() - t0) * 1000.0, sent
            except (socket.timeout, ConnectionRefusedError):
                pass
            if p.poll() is not None:
                raise SystemExit(f"proxy exited with {p.returncode}")
        return None, sent
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
        sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scenario", default="options", choices=["options", "register"])
    ap.add_argument("--port", type=int, default=5170)
    ap.add_argument("--jar", default=os.path.join(root, "proxy-benchmarks", "target", "bench-proxy.jar"))
    ap.add_argument("--users", default=os.environ.get("BENCH_USERS_CSV",
                                                      os.path.join(root, "..", "shared", "bench", "sipp", "users.csv")))
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("java_opts", nargs="*", default=None)
    a = ap.parse_args()
    java_opts = a.java_opts or ["-Xms512m", "-Xmx512m", "-XX:+UseSerialGC"]
    if not os.path.exists(a.jar):
        raise SystemExit(f"{a.jar} missing: run mvn -q -B install -DskipTests first")
    if a.scenario == "register" and not os.path.exists(a.users):
        raise SystemExit(f"users file {a.users} missing (set BENCH_USERS_CSV)")
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"# startup to first 200 OK to OPTIONS, scenario={a.scenario}, java {' '.join(java_opts)}, load {load}")
    times = []
    for i in range(a.runs):
        ms, sent = one(a, java_opts)
        print(f"run {i + 1}: {'timeout' if ms is None else f'{ms:.0f} ms'} ({sent} OPTIONS sent)")
        if ms is not None:
            times.append(ms)
    if times:
        print(f"median {statistics.median(times):.0f} ms, min {min(times):.0f}, max {max(times):.0f} "
              f"(goal <= 2000 ms)")
    return 0 if times and max(times) <= 2000 else 1


if __name__ == "__main__":
    sys.exit(main())
