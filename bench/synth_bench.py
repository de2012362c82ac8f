"""Synthesis cost of the full app against a one-resource cdktf stack on the same provider.

Runs `python main.py` and `python bench/floor_app.py` alternately (so machine noise hits both alike),
RUNS times each, and prints the medians of wall time and of peak memory (the summed RSS of the Python
process and its jsii Node.js child, sampled every 10 ms), and their ratios.

    pipenv run python bench/synth_bench.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants, read from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            statm = (entry / "statm").read_text().split()
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(entry.name))
        rss[int(entry.name)] = int(statm[1]) * PAGE
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def measure(command: list[str]) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as outdir:
        env = {**os.environ, "CDKTF_OUTDIR": outdir}
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {process.returncode}")
        return elapsed, peak


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    commands = {"full app": [sys.executable, "main.py"], "one resource": [sys.executable, "bench/floor_app.py"]}
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for run in range(runs):
        for name, command in commands.items():
            results[name].append(measure(command))
            print(
                f"run {run + 1}/{runs} {name:>12}: {results[name][-1][0]:6.2f} s {results[name][-1][1] / 2**20:7.0f} MiB",
                file=sys.stderr,
            )
    medians = {
        name: (statistics.median(t for t, _ in values), statistics.median(m for _, m in values))
        for name, values in results.items()
    }
    full, floor = medians["full app"], medians["one resource"]
    print(f"{'':14}{'wall (median)':>16}{'peak RSS (median)':>20}")
    for name, (wall, memory) in medians.items():
        print(f"{name:14}{wall:14.2f} s{memory / 2**20:16.0f} MiB")
    print(f"{'ratio':14}{full[0] / floor[0]:15.2f}x{full[1] / floor[1]:19.2f}x   (goal: <= 1.10x on both)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
