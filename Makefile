# make help lists the targets. Every target installs what it needs first (idempotent).
SHELL := /bin/bash
PY := .venv/bin/python
export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: help install run test test-fast lint bench clean-build

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' Makefile | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

install:  ## create both environments, build the e5 model, the FAQ index and the rasa model
	@bash scripts/install.sh

run: install  ## start the whole bot on the embedded default, replay the sample questions, print stats
	@.venv/bin/bot demo

test: install  ## run the whole test suite (unit, integration, end-to-end)
	@$(PY) -m pytest

test-fast:  ## unit tests only (no models)
	@$(PY) -m pytest tests/unit -q

lint:  ## ruff and mypy on the source
	@.venv/bin/ruff check bot actions tests bench && .venv/bin/mypy

bench: install  ## run the benchmarks in bench/ (numbers go into the README)
	@for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean-build:  ## remove built models and indexes (make install rebuilds them)
	rm -rf build
