# `make demo` and `make test` work on a fresh machine: they create .venv and install what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   := data/demo
CACHE  := data/cache

.PHONY: install demo test clean distclean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v git >/dev/null || { echo "git is required (apt-get install git)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

demo: install
	$(BIN)/forensics simulate $(DEMO) --seed 7
	$(BIN)/forensics scan $(DEMO)/repo --cache $(CACHE)
	@echo
	@echo "== census at HEAD (by directory) =="
	$(BIN)/forensics census $(DEMO)/repo --cache $(CACHE) --quiet
	@echo
	@echo "== timeline: commits with events (first 20) =="
	$(BIN)/forensics timeline $(DEMO)/repo --cache $(CACHE) --quiet --head 20

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(DEMO) $(CACHE) .pytest_cache

distclean: clean
	rm -rf $(VENV) *.egg-info
