# Two targets a newcomer needs: `make repro` (set up, then run the pipeline) and `make test`.
VENV := .venv
export PATH := $(abspath $(VENV))/bin:$(PATH)
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: setup repro test lint bench

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -d $(VENV) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

repro: setup
	dvc repro

test: setup
	ruff check .
	pytest -q

lint: setup
	ruff check .
