# MSA-Portal — `make run` (portal with demo data on SQLite), `make test` (all tests).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := run.py

.PHONY: docx-templates fonts run test test-sqlite test-postgres lint format bench bench-state install install-dev browser spreadsheet translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt | $(BIN)/python directory
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.dev-installed

## run: set up and serve the portal with demo data on SQLite at http://127.0.0.1:$(PORT)
run: install fonts
	$(BIN)/flask msa init
	@if [ ! -f instance/.demo-loaded ]; then $(BIN)/flask msa demo-data && touch instance/.demo-loaded; fi
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## fonts: Debian's Noto fonts (Latin, Arabic, Ethiopic …) that the PDF documents and the letters
## to clients embed; without root only a hint (the portal runs, letters fall back to other fonts)
fonts:
	@fc-list 2>/dev/null | grep -q "Noto Naskh Arabic" || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq fonts-noto-core fonts-dejavu-core >/dev/null; \
	  else echo "Hinweis: für Schreiben in arabischer Schrift und Tigrinya bitte 'fonts-noto-core' installieren"; fi; }

## browser: Debian's Chromium (with its German UI, chromium-l10n) for the end-to-end tests (never a browser download)
browser:
	@{ command -v chromium >/dev/null 2>&1 && [ -f /usr/lib/chromium/locales/de.pak ]; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-l10n fonts-dejavu-core fonts-noto-core >/dev/null; \
	  else echo "Bitte Debian-Pakete 'chromium chromium-l10n' installieren (sudo apt-get install chromium chromium-l10n)"; exit 1; fi; }
	@command -v pdftotext >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq poppler-utils >/dev/null || true; }

## directory: Debian's OpenLDAP server for the directory sign-in tests, and the headers python-ldap
## is built with (tests/security/test_directory_signin.py starts its own slapd on a free port)
directory:
	@if ! command -v slapd >/dev/null 2>&1 && [ ! -x /usr/sbin/slapd ] || [ ! -f /usr/include/ldap.h ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils libldap2-dev libsasl2-dev >/dev/null; \
	  else echo "Bitte Debian-Pakete 'slapd ldap-utils libldap2-dev libsasl2-dev' installieren"; exit 1; fi; fi

## spreadsheet: Debian's LibreOffice Calc (headless) — the import tests convert their lists with soffice
spreadsheet:
	@command -v soffice >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libreoffice-calc-nogui >/dev/null; \
	  else echo "Bitte das Debian-Paket 'libreoffice-calc-nogui' installieren (sudo apt-get install libreoffice-calc-nogui)"; exit 1; fi; }

## test: the whole suite on SQLite, and on PostgreSQL when TEST_POSTGRES_URL is set (CI=true: required)
test: directory install-dev browser spreadsheet fonts
	$(BIN)/python -m tests.run_all

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/bandit -q -c pyproject.toml -r app

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-dev
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## bench-state: the issue's acceptance run — PostgreSQL, 50,000 persons, table into docs/performance.md
bench-state: install-dev
	$(BIN)/python -m bench.run --db postgres --scale state --requests 30 $(BENCH_ARGS)

## docx-templates: regenerate app/templates/documents/*.docx from tools/make_docx_templates.py
docx-templates: install-dev
	$(BIN)/python -m tools.make_docx_templates

translations: install-dev
	PYTHONPATH=. $(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _ -k N_ -k GermanDateField -k StringField -k BooleanField -k TextAreaField -k SelectField -k PartnerSearchField -k GermanIntegerField -k HoursField -k TimeField -k GermanTimeField -k DateRequired -k SelectMultipleField -k IntegerField -k DecimalField -k RadioField -k AdminLogAppendOnlyError -k AnnualTalkError -k AppointmentError -k CaseWorkflowError -k ClosedPeriodError -k ConflictError -k DomainError -k FileAuditError -k FinalisedRecordError -k FollowUpError -k GrantRefusedError -k GroupSessionError -k ImportFileError -k ImportStepError -k InsecureTransportError -k IntakeError -k KduError -k LetterError -k MoveError -k NoteError -k PasswordComplexityValidationError -k PersonError -k RecordError -k ReferralError -k ReportError -k ReportForbiddenError -k ScopeViolationError -k StatisticsError -k SubjectAccessError --no-location --sort-output -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d app/translations

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
