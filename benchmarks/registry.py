"""Scenarios and data sets, registered by name.

A *scenario* measures something and is what ``ONLY=<name>`` selects. A *data set* loads
data into the running stack once per run; scenarios ask for it with ``ctx.dataset(name)``,
so a later scenario (invoicing, scheduling, ...) can reuse the clients without re-running
the clients measurements::

    from benchmarks.registry import dataset, scenario

    @dataset("invoices")
    def load_invoices(ctx):
        clients = ctx.dataset("clients")
        ...
        return {...}          # whatever later scenarios need (ids, q values, ...)

    @scenario("invoicing", services=("clients", "invoicing"))
    def invoicing(ctx):
        data = ctx.dataset("invoices")
        ctx.check("GET /invoices/{id} p99", value, "ms", "<=", 25)

``services`` names entries of :data:`benchmarks.stack.SERVICES`; the stack starts the
union of what the selected scenarios need (plus the gateway and its staff service).
Modules that register scenarios are listed in :data:`benchmarks.scenarios.MODULES`.
"""
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Scenario:
    name: str
    run: Callable
    services: tuple = ()
    description: str = ""


@dataclass
class DataSet:
    name: str
    load: Callable


SCENARIOS: dict[str, Scenario] = {}
DATASETS: dict[str, DataSet] = {}


def scenario(name, services=(), description=""):
    def register(fn):
        if name in SCENARIOS:
            raise ValueError(f"scenario {name!r} registered twice")
        SCENARIOS[name] = Scenario(name, fn, tuple(services), description or (fn.__doc__ or "").strip())
        return fn
    return register


def dataset(name):
    def register(fn):
        if name in DATASETS:
            raise ValueError(f"data set {name!r} registered twice")
        DATASETS[name] = DataSet(name, fn)
        return fn
    return register


@dataclass
class Metric:
    scenario: str
    metric: str
    value: object
    unit: str = ""
    target: str = ""
    passed: bool | None = None  # None: informational, no target

    def as_dict(self):
        return {"scenario": self.scenario, "metric": self.metric, "value": self.value, "unit": self.unit,
                "target": self.target or None, "passed": self.passed}


@dataclass
class ScenarioResult:
    name: str
    status: str = "not run"  # ok | failed
    error: str | None = None
    seconds: float = 0.0
    metrics: list = field(default_factory=list)
    details: dict = field(default_factory=dict)
