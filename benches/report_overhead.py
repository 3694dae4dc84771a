#!/usr/bin/env python3
"""What the report (results.edn, index.html, timeline.html, messages.html)
adds to `maelstrom test --sim` on the broadcast setup (25 nodes, rate 100,
latency 100 ms, 20 s): wall and CPU time (of the command and the node binary
it runs) with and without it (MAELSTROM_SKIP_REPORT=1), interleaved, seeds
1..5, ROUNDS rounds (default 3); medians, and the median over seeds of each
seed's fastest run per mode (other programs' load only lengthens a run).
The stores go to a temporary folder, removed at the end.

    cargo build --release -p maelstrom -p broadcast-reference
    ROUNDS=4 python3 benches/report_overhead.py
"""
import os, subprocess, tempfile, time, statistics
M = os.path.abspath(os.environ.get("M", "target/release/maelstrom"))
B = os.path.abspath(os.environ.get("B", "target/release/broadcast-reference"))
SCRATCH = tempfile.TemporaryDirectory(prefix="report-overhead-")
ROUNDS = int(os.environ.get("ROUNDS", "3"))
res = {"with": [], "without": []}
cpu = {"with": [], "without": []}
# Each seed's fastest run per mode: other programs' load only lengthens runs.
fastest = {"with": {}, "without": {}}
for r in range(ROUNDS):
    for seed in range(1, 6):
        for mode in (["with", "without"] if (r + seed) % 2 == 0 else ["without", "with"]):
            env = dict(os.environ)
            if mode == "without":
                env["MAELSTROM_SKIP_REPORT"] = "1"
            t = time.monotonic()
            p = subprocess.Popen([M, "test", "--sim", "-w", "broadcast", "--bin", B, "--node-count", "25",
                                  "--rate", "100", "--latency", "100", "--time-limit", "20", "--seed", str(seed)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                 cwd=SCRATCH.name)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.monotonic() - t
            res[mode].append(wall)
            fastest[mode][seed] = min(wall, fastest[mode].get(seed, wall))
            cpu[mode].append(ru.ru_utime + ru.ru_stime)
for mode in res:
    print(f"{mode:8} report: median wall {statistics.median(res[mode]):.3f} s, median cpu {statistics.median(cpu[mode]):.3f} s over {len(res[mode])} runs")
w, wo = statistics.median(res["with"]), statistics.median(res["without"])
c, co = statistics.median(cpu["with"]), statistics.median(cpu["without"])
print(f"report adds {100*(w/wo-1):+.1f}% wall, {100*(c/co-1):+.1f}% cpu")
fw = statistics.median(fastest["with"].values())
fwo = statistics.median(fastest["without"].values())
print(f"fastest run per seed, median over seeds: {fw:.3f} s with, {fwo:.3f} s without: {100*(fw/fwo-1):+.1f}% wall")
