"""``python -m benchmarks``: set up the stack, run the selected scenarios, print a table and
write benchmarks/results.json. Exit 0 when the harness worked (missed targets are in the
table), 1 when it failed, 2 for a bad ONLY."""
import datetime as dt
import json
import os
import platform
import signal
import sys
import time
import traceback

from .registry import DATASETS, SCENARIOS, Metric, ScenarioResult
from .scenarios import load_all
from .stack import ROOT, HarnessError, Stack, loadavg, log

RESULTS = ROOT / "benchmarks" / "results.json"
OPS = {">=": "≥", "<=": "≤", "==": "=", ">": ">", "<": "<"}
HARNESS_BUDGET_S = 900


class Context:
    """What a scenario gets: the scale, the running stack, data sets and a place for results."""

    def __init__(self, scale, stack, runner, result):
        self.scale = scale
        self.stack = stack
        self._runner = runner
        self.result = result
        self.details = result.details

    def dataset(self, name):
        return self._runner.dataset(name, self)

    def check(self, metric, value, unit, op, threshold, passed=None):
        """A measurement with a target; ``passed`` computed from ``op``/``threshold`` unless given."""
        if passed is None:
            passed = value is not None and {
                ">=": value >= threshold, "<=": value <= threshold, "==": value == threshold,
                ">": value > threshold, "<": value < threshold}[op]
        target = f"{OPS[op]} {threshold}{(' ' + unit) if unit else ''}"
        self.result.metrics.append(Metric(self.result.name, metric, value, unit, target, bool(passed)))

    def info(self, metric, value, unit=""):
        self.result.metrics.append(Metric(self.result.name, metric, value, unit))


class Runner:
    def __init__(self, scale):
        self.scale = scale
        self.datasets = {}
        self.dataset_seconds = {}

    def dataset(self, name, ctx):
        if name not in self.datasets:
            if name not in DATASETS:
                raise HarnessError(f"no data set {name!r}; known: {sorted(DATASETS)}")
            started = time.monotonic()
            self.datasets[name] = DATASETS[name].load(ctx)
            self.dataset_seconds[name] = round(time.monotonic() - started, 1)
        return self.datasets[name]


def _selected():
    only = [s.strip() for s in (os.environ.get("ONLY") or "").split(",") if s.strip()]
    unknown = [s for s in only if s not in SCENARIOS]
    if unknown:
        print(f"error: unknown scenario(s) {', '.join(unknown)}; known: {', '.join(sorted(SCENARIOS))}",
              file=sys.stderr)
        sys.exit(2)
    return [SCENARIOS[s] for s in (only or SCENARIOS)]


def _format_value(metric):
    value, unit = metric.value, metric.unit
    if value is None:
        return "—"
    if isinstance(value, bool) or isinstance(value, str):
        text = str(value)
    elif isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.2f}".rstrip("0").rstrip(".")
    else:
        text = str(value)
    if unit == "×":
        return text + "×"
    return f"{text} {unit}".strip()


def print_table(rows):
    header = ("scenario", "metric", "measured", "target", "result")
    table = [header] + [(m.scenario, m.metric, _format_value(m), m.target or "—",
                         "—" if m.passed is None else ("PASS" if m.passed else "FAIL")) for m in rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    line = "-+-".join("-" * w for w in widths)
    out = [" | ".join(str(c).ljust(w) for c, w in zip(table[0], widths)), line]
    out += [" | ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in table[1:]]
    print("\n".join(out), flush=True)


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)


def main():
    signal.signal(signal.SIGTERM, _terminate)
    started_wall, started = dt.datetime.now(dt.timezone.utc), time.monotonic()
    try:
        scale = float(os.environ.get("BENCH_SCALE") or 1.0)
        if scale <= 0:
            raise ValueError
    except ValueError:
        print(f"error: BENCH_SCALE must be a positive number, not {os.environ.get('BENCH_SCALE')!r}",
              file=sys.stderr)
        return 2
    load_before = loadavg()
    load_all()
    scenarios = _selected()
    log(f"BENCH_SCALE={scale}; scenarios: {', '.join(s.name for s in scenarios)}")
    runner = Runner(scale)
    results = [ScenarioResult(s.name) for s in scenarios]
    harness_error = None
    services = sorted({svc for s in scenarios for svc in s.services})
    stack = Stack(services)
    try:
        with stack:
            stack.start()
            stack.login()
            for spec, result in zip(scenarios, results):
                log(f"scenario {spec.name}")
                ctx = Context(scale, stack, runner, result)
                t0 = time.monotonic()
                try:
                    spec.run(ctx)
                    result.status = "ok"
                except HarnessError as exc:
                    result.status, result.error = "failed", str(exc)
                    log(f"scenario {spec.name} failed: {exc}")
                except Exception as exc:  # noqa: BLE001 - the other scenarios still run
                    result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
                    log(f"scenario {spec.name} failed:\n{traceback.format_exc()}")
                result.seconds = round(time.monotonic() - t0, 1)
            log("stopping the stack")
    except (HarnessError, Exception) as exc:  # noqa: BLE001
        harness_error = str(exc) if isinstance(exc, HarnessError) else f"{type(exc).__name__}: {exc}"
        log(f"harness failed: {harness_error}")
        if not isinstance(exc, HarnessError):
            traceback.print_exc()
    except KeyboardInterrupt:
        harness_error = "interrupted"
        log("interrupted; the stack was stopped")
    except SystemExit as exc:
        harness_error = f"terminated (exit {exc.code})"
        log("terminated; the stack was stopped")

    total = round(time.monotonic() - started, 1)
    rows = [m for r in results for m in r.metrics]
    for r in results:
        if r.status != "ok":
            rows.append(Metric(r.name, "scenario", "failed" if r.status == "failed" else r.status, "",
                               "runs", False))
    if stack.broker.note:
        rows.append(Metric("harness", "RabbitMQ vhost of its own", "no: " + stack.broker.note, "", "", None))
    rows.append(Metric("harness", "machine load average (1 min) at start / end",
                       f"{load_before} / {loadavg()}", "", "", None))
    rows.append(Metric("harness", "wall time (whole run)", total, "s", f"≤ {HARNESS_BUDGET_S} s",
                       total <= HARNESS_BUDGET_S if scale <= 1 else None))
    ok = harness_error is None and all(r.status == "ok" for r in results)
    document = {
        "bench_scale": scale,
        "only": os.environ.get("ONLY") or "",
        "started_at": started_wall.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "duration_s": total,
        "harness_ok": ok,
        "harness_error": harness_error,
        "host": {"cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine(),
                 "loadavg_1m_at_start": load_before},
        "broker_note": stack.broker.note,
        "datasets_s": runner.dataset_seconds,
        "targets_met": all(m.passed is not False for m in rows),
        "metrics": [m.as_dict() for m in rows],
        "scenarios": {r.name: {"status": r.status, "error": r.error, "seconds": r.seconds,
                               "details": r.details} for r in results},
    }
    RESULTS.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print()
    print_table(rows)
    print(f"\nBENCH_SCALE={scale}; results: {RESULTS.relative_to(ROOT)}; logs: benchmarks/.data/logs/")
    for r in results:
        if r.error:
            print(f"scenario {r.name} failed: {r.error}")
    if harness_error:
        print(f"harness failed: {harness_error}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
