# The two commands a newcomer types: `make demo` and `make test`.
# Everything they need is installed here (or by the scripts called here),
# because CI and a new machine start with nothing installed by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MO     := teaminbox/translations/fr/LC_MESSAGES/messages.mo

DEMO_PACKAGES := dovecot-imapd dovecot-pop3d
TEST_PACKAGES := $(DEMO_PACKAGES) chromium

# Store tests also run on PostgreSQL when one answers on 127.0.0.1:5432.
PG_URL := postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint install system-demo system-test translations extract-messages clean

demo: system-demo install translations
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app demo

test: system-test install translations lint
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
	  export TEAMINBOX_TEST_DATABASE_URL="$${TEAMINBOX_TEST_DATABASE_URL:-$(PG_URL)}"; \
	  echo "PostgreSQL answers: store tests run on SQLite and on $$TEAMINBOX_TEST_DATABASE_URL"; \
	fi; \
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || bash scripts/install-system-packages.sh python3-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-demo:
	@bash scripts/install-system-packages.sh $(DEMO_PACKAGES)

system-test:
	@bash scripts/install-system-packages.sh $(TEST_PACKAGES)

translations: $(MO)

$(MO): teaminbox/translations/fr/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d teaminbox/translations --statistics

# For developers: after adding strings, refresh the catalogs, then translate.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o teaminbox/translations/messages.pot .
	$(BIN)/pybabel update -i teaminbox/translations/messages.pot -d teaminbox/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
