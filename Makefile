# Clinic: `make run` serves the app with demo data, `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app clinic
PYTEST_ARGS ?=

.PHONY: run test check install scan bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/axe-core/axe.min.js: package.json
	@if command -v npm >/dev/null 2>&1; then npm install --no-audit --no-fund --silent; \
	else echo "npm not found: the accessibility checks will be skipped"; fi

install: $(VENV)/.installed

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) run --host 127.0.0.1 --port 5000

check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -c pyproject.toml -r clinic config.py

test: install node_modules/axe-core/axe.min.js
	$(PY) -m pytest $(PYTEST_ARGS)

scan: install
	$(PY) scripts/scan.py

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis
