# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# `make run` ports: the web app (and its mailbox page) and the SMTP sink; the environment may set them.
WEB_PORT ?= 5000
MAIL_PORT ?= 8025
export WEB_PORT MAIL_PORT

.PHONY: run test lint format bench translations messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

translations: $(VENV)/.installed-run
	@if [ -d tracker/translations ]; then $(BIN)/pybabel compile -d tracker/translations; fi

# Gather the marked messages of the code and templates into the Japanese catalogue (then
# translate what is new and run `make translations`). The markers are those the catalogue test
# extracts with (tests/test_clinician_japanese.py, KEYWORDS).
messages: $(VENV)/.installed-dev
	@mkdir -p instance
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext -k lazy_pgettext:1c,2 \
		-k lazy_ngettext:1,2 -o instance/messages.pot .
	$(BIN)/pybabel update -i instance/messages.pot -d tracker/translations --no-fuzzy-matching

run: $(VENV)/.installed-run translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(BIN)/python -m tracker.devrun

test: $(VENV)/.installed-dev translations
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/dispatch.py
	$(BIN)/python bench/worklist.py
	$(BIN)/python bench/exports.py
	$(BIN)/python bench/outcomes.py
	$(BIN)/python bench/http_load.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
