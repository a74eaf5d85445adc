"""Modules that register scenarios and data sets; a new area adds its module here."""
import importlib

MODULES = (
    "benchmarks.scenarios.clients",
    "benchmarks.scenarios.invoicing",
    "benchmarks.scenarios.tasks",
    "benchmarks.scenarios.scheduling",
    "benchmarks.scenarios.communications",
    "benchmarks.scenarios.payments",
)


def load_all():
    for module in MODULES:
        importlib.import_module(module)
