# Two targets a newcomer needs: `make repro` (set up, then run the pipeline) and `make test`.
VENV := .venv
export PATH := $(abspath $(VENV))/bin:$(PATH)
export TF_CPP_MIN_LOG_LEVEL ?= 3

# TensorFlow with CUDA where `nvidia-smi -L` lists a GPU, else the pinned tensorflow-cpu;
# `make setup GPU=1` or `GPU=0` forces either (see docs/gpu_and_distribute.md). The GPU build is
# `tensorflow[and-cuda]` at the version of the tensorflow-cpu pin in requirements.txt.
GPU ?= $(shell nvidia-smi -L 2>/dev/null | grep -q '^GPU ' && echo 1 || echo 0)
PIP := $(VENV)/bin/pip install --disable-pip-version-check -q
ifeq ($(GPU),1)
STAMP := $(VENV)/.installed-gpu
OTHER := $(VENV)/.installed
else
STAMP := $(VENV)/.installed
OTHER := $(VENV)/.installed-gpu
endif

.PHONY: setup repro test test-fast lint exps plots bench params-doc

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -d $(VENV) || python3 -m venv $(VENV)
ifeq ($(GPU),1)
	sed 's/^tensorflow-cpu==/tensorflow[and-cuda]==/' requirements.txt > $(VENV)/requirements-gpu.txt
	grep -q '^tensorflow\[and-cuda\]==' $(VENV)/requirements-gpu.txt
	sed 's/^-r requirements.txt$$/-r requirements-gpu.txt/' requirements-dev.txt \
	  > $(VENV)/requirements-dev-gpu.txt
	$(VENV)/bin/pip uninstall -y -q tensorflow-cpu 2>/dev/null || true
	$(PIP) -r $(VENV)/requirements-dev-gpu.txt
	$(VENV)/bin/python -c "import tensorflow as tf; print('TensorFlow sees', \
	  tf.config.list_physical_devices('GPU') or 'no GPU')"
else
	if test -f $(OTHER); then $(VENV)/bin/pip uninstall -y -q tensorflow; fi
	$(PIP) -r requirements-dev.txt
endif
	rm -f $(OTHER)
	touch $@

repro: setup
	dvc repro

test: setup
	ruff check .
	pytest -q

# The unit and fault tests without the end-to-end `dvc repro` runs (marker `e2e`) and the
# trainings in subprocesses (marker `slow`): for the edit-test loop. `make test` stays the full
# suite, and what CI runs.
test-fast: setup
	ruff check .
	pytest -q -m "not e2e and not slow"

lint: setup
	ruff check .

# The experiments table: one row per revision and experiment, the values in effect that differ
# between them (params.resolved.yaml) and each task's headline metric, under the task's name;
# transposed when wider than the terminal. Extra flags go to `dvc exp show` (EXPS="-n 3").
exps: setup
	python -m rnnlab.report.exps $(EXPS)

# docs/params.md from the params schemas' help texts (`--check`: exit 1 when it is stale).
params-doc: setup
	python -m rnnlab.report.params_doc

# Every plot of dvc.yaml in one page that renders offline (vega inline, see
# rnnlab/report/plots_page.py), after checking that page; `dvc plots diff main` works the same.
plots: setup
	python -m rnnlab.report.plots_page check
	dvc plots show
