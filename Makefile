# Proofsheet. The logic lives in scripts/; these targets only chain it.
#   make run      install, check the broker, migrate, create the admin, start everything
#   make test     install with test tools, start RabbitMQ + PostgreSQL, run every suite
#   make bench    benchmarks (ONLY=..., BENCH_SCALE=... pass through)
#   make lint     ruff
#   make migrate  bring every database to the newest migration

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

export PYTHON VENV PYTEST_ARGS
# Passed to the benchmarks only when given (make bench ONLY=x, or in the environment).
ifdef ONLY
export ONLY
endif
ifdef BENCH_SCALE
export BENCH_SCALE
endif

.DEFAULT_GOAL := help
.PHONY: help install install-test run test bench lint migrate procfile clean

help:
	@sed -n 's/^#   //p' Makefile

install:
	@bash scripts/install.sh

install-test:
	@bash scripts/install.sh requirements-test.txt

run: install
	@$(PY) scripts/run.py

test: install-test
	@bash scripts/test.sh

bench:
	@bash scripts/install.sh requirements-test.txt $(wildcard benchmarks/requirements.txt)
	@bash scripts/bench.sh

lint: install-test
	$(VENV)/bin/ruff check .

migrate: install
	@bash scripts/migrate.sh

procfile: install
	@$(PY) scripts/run.py --procfile

clean:
	rm -rf $(VENV) .ruff_cache .pytest_cache
