# Clinic: `make run` serves the app with demo data, `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app clinic
# Two workers on the project's 2-core machines; PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
COVERAGE := --cov=clinic --cov-report=term:skip-covered
PYTEST_ARGS ?=
# `make run PORT=5050` serves elsewhere; emailed links follow the port the app is served on.
PORT ?= 5000

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
	$(VENV)/bin/pybabel -q compile -d clinic/translations

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Static checks: lint, formatting, and bandit with no medium or high finding.
check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -c pyproject.toml --severity-level medium -r clinic config.py scripts

# The whole suite (SQLite always; PostgreSQL too when CLINIC_TEST_DATABASE_URL is set), with coverage of clinic/.
test: install node_modules/axe-core/axe.min.js
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=15 $(COVERAGE) $(PYTEST_ARGS)

# Dynamic scan: Wapiti against the app served by gunicorn on 127.0.0.1 with demo data.
scan: install
	$(PY) scripts/scan.py

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis scan-report
