# The two commands of the README:
#   make run    install what is missing, ingest the sample articles, start the app on 127.0.0.1:7860
#               (adding and deleting articles from the app is on: it listens on loopback only)
#   make test   install what is missing, run the whole test suite
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test lint setup

# Re-install only when pyproject.toml changes. torch is pinned (==2.13.0, the CPU build) in
# pyproject.toml itself, so it resolves in the same pip command as everything else.
$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/python app.py --enable-writes --ingest examples/articles --ingest data/articles

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
