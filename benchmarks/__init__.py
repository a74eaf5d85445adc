"""Proofsheet benchmarks: ``python -m benchmarks`` (``make bench``).

Environment: ``BENCH_SCALE`` (default 1.0: 200,000 clients), ``ONLY`` (one scenario, or a
comma-separated list; empty runs all). See benchmarks/README.md.
"""
