# IOP Desk: `make run` opens the app on a demo clinic, `make test` runs the suite, `make test-ahead`
# runs it again with the clinic clock a year ahead (CI runs both).
# Python 3.12+ is preferred (PySide6 6.12 + 3.11 aborts on void Qt calls); 3.11 works with PySide6 < 6.12.

SHELL := /bin/bash
PY_CANDIDATES := python3.13 python3.12 python3.11 python3
PYTHON ?= $(shell for p in $(PY_CANDIDATES); do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test

# `make run` opens a window: on Linux with no display (neither DISPLAY nor WAYLAND_DISPLAY) say so in
# one line and stop before installing or generating anything, instead of starting an app no one can
# see. A Qt platform chosen by hand (QT_QPA_PLATFORM=vnc, offscreen…) is taken as meant. The tests,
# the benchmarks and the screenshots run offscreen on their own.
ifneq ($(filter run,$(MAKECMDGOALS)),)
ifeq ($(shell uname -s)$(DISPLAY)$(WAYLAND_DISPLAY)$(QT_QPA_PLATFORM),Linux)
$(error make run: no display (neither DISPLAY nor WAYLAND_DISPLAY is set); run it in a desktop session, or under xvfb-run: xvfb-run make run)
endif
endif

.PHONY: run test test-ahead venv lint bench screenshots bundle clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "IOP Desk needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bundle]'
	@touch $@

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/iopdesk demo --if-missing
	$(BIN)/iopdesk

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS)

# The suite again on another day: the clinic clock pinned a year ahead (GNU date, else BSD date),
# slow tests left out; the canary (tests/ui/test_clock_canary.py) fails if the pass did not see that
# day. `make test-ahead AHEAD_DAY=2027-12-31` pins any other day, a month's or year's end say.
AHEAD_DAY ?= $(shell date -d '+1 year' +%F 2>/dev/null || date -v+1y +%F)
test-ahead: $(STAMP)
	@test -n "$(AHEAD_DAY)" || { echo "test-ahead: could not compute the date a year ahead; set AHEAD_DAY=YYYY-MM-DD"; exit 1; }
	IOPDESK_TEST_TODAY=$(AHEAD_DAY) IOPDESK_TEST_EXPECT_TODAY=$(AHEAD_DAY) QT_QPA_PLATFORM=offscreen \
		$(BIN)/python -m pytest -q -n 2 -m "not slow" $(PYTEST_ARGS)

# Benchmarks on a 10,000-client, five-year clinic (generated once into ~/.cache/iopdesk/bench, then reused).
bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tools.bench

# A PNG of every main screen on a fresh demo clinic, into docs/screenshots/ (offscreen).
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tools.screenshots

# The installable bundle for this platform into dist/IOPDesk (PyInstaller, installer/iopdesk.spec);
# on Linux also dist/iopdesk-VERSION-linux-ARCH.tar.gz. See installer/README.md.
bundle: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller installer/iopdesk.spec
	@if [ "$$(uname -s)" = Linux ]; then installer/linux/build_tarball.sh dist/IOPDesk dist; fi
	@echo "bundle: dist/IOPDesk, $$(du -sb dist/IOPDesk | cut -f1 | awk '{printf "%.1f MB", $$1/1e6}') unpacked"

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
