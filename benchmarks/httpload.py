"""HTTP load with wrk and benchmarks/wrk.lua; results as a dict (latencies in ms)."""
import json
import os
import resource
import shutil
import subprocess
from pathlib import Path

from .stack import LOGS, CpuMeter, HarnessError, log

SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
MARK = "BENCH_RESULT "


def duration(default=15):
    """Seconds per measurement (``BENCH_DURATION`` overrides, for quick trials)."""
    return float(os.environ.get("BENCH_DURATION") or default)


def warmup_seconds(default=3):
    return float(os.environ.get("BENCH_WARMUP") or default)


def wrk(label, base_url, script_args, connections, threads=2, seconds=None, warmup=None, token=None,
        timeout="5s", stack=None):
    """Warm up, then measure; ``script_args`` go to wrk.lua (``["ids", path, max]`` or ``["paths", file]``).
    With ``stack``, the result also says how much CPU each process of the stack used meanwhile."""
    if shutil.which("wrk") is None:
        raise HarnessError("wrk is not installed (apt-get install wrk)")
    seconds = duration() if seconds is None else seconds
    warmup = warmup_seconds() if warmup is None else warmup
    env = dict(os.environ, BENCH_TOKEN=token or "")
    threads = max(1, min(threads, connections))

    def run(secs, tag):
        argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(secs))}s", "--timeout", timeout,
                "-s", str(SCRIPT), base_url, "--", *[str(a) for a in script_args]]
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=secs + 60)
        (LOGS / f"wrk-{label}-{tag}.log").write_text(" ".join(argv) + "\n\n" + done.stdout + done.stderr)
        if done.returncode != 0:
            raise HarnessError(f"wrk {label} failed (exit {done.returncode}): {done.stderr[-500:]}")
        for line in done.stdout.splitlines():
            if line.startswith(MARK):
                return json.loads(line[len(MARK):])
        raise HarnessError(f"wrk {label}: no result line in its output:\n{done.stdout[-1000:]}")

    if warmup > 0:
        run(warmup, "warmup")
    meter = CpuMeter(stack).start() if stack is not None else None
    wrk_cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run(seconds, "measure")
    result["connections"], result["threads"] = connections, threads
    if meter is not None:
        wrk_cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_seconds = (wrk_cpu1.ru_utime + wrk_cpu1.ru_stime) - (wrk_cpu0.ru_utime + wrk_cpu0.ru_stime)
        result["cpu"] = meter.stop({"wrk": wrk_seconds})
    errors = sum(result["errors"].values())
    cpu = ""
    if meter is not None:
        shares = ", ".join(f"{name} {pct}" for name, pct in result["cpu"]["pct_of_one_core"].items() if pct)
        cpu = f"; CPU (% of a core): {shares}; load {result['cpu']['loadavg_1m']}"
    log(f"{label}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, {errors} errors{cpu}")
    return result
