# `make demo` and `make test` work on a fresh machine: they create .venv and install what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   := data/demo
CACHE  := data/cache
REPORT := data/reports/demo

.PHONY: install browser demo test bench clean distclean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v git >/dev/null || { echo "git is required (apt-get install git)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[all,dev]'
	@touch $@

# The browser tests draw the report in headless Chromium and drive JupyterLab through chromedriver
# (Debian's chromium and chromium-driver).
browser:
	@{ command -v chromium >/dev/null || command -v chromium-browser >/dev/null; } && command -v chromedriver >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium and chromium-driver for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium and chromedriver are needed for the browser tests: apt-get install chromium chromium-driver"; exit 2; fi; }

demo: install
	$(BIN)/forensics simulate $(DEMO) --seed 7
	$(BIN)/forensics scan $(DEMO)/repo --cache $(CACHE)
	@echo
	@echo "== what the history proves =="
	$(BIN)/forensics summary $(DEMO)/repo --cache $(CACHE) --quiet
	@echo
	@echo "== census at HEAD (by directory) =="
	$(BIN)/forensics census $(DEMO)/repo --cache $(CACHE) --quiet
	@echo
	@echo "== timeline: commits with events (first 20) =="
	$(BIN)/forensics timeline $(DEMO)/repo --cache $(CACHE) --quiet --head 20
	@echo
	@echo "== incident report =="
	$(BIN)/forensics report $(DEMO)/repo --cache $(CACHE) --out $(REPORT) --quiet
	@echo "open $(REPORT)/incident_report.html (the CSVs and report.json are beside it)"

test: install browser
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(DEMO) $(CACHE) data/reports .pytest_cache

distclean: clean
	rm -rf $(VENV) *.egg-info

# Builds (once) a 20,000-commit simulated history under data/bench and the realistic preset at scale 10
# under data/bench-realistic, times every command on it and on ../shared/real/generative-flex.bundle, and
# writes benchmarks/RESULTS.md. BEFORE=DIR also times the code in DIR (git archive REV | tar -x -C DIR).
bench: install
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/bench_story.py
	$(BIN)/python benchmarks/bench_commands.py $(if $(BEFORE),--before $(BEFORE))
	$(BIN)/python benchmarks/report_bench.py
