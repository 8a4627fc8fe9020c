# Two commands matter: `make run` and `make test`. Everything else is what they call.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE_STAMP := tests/interop/node_modules/.installed-stamp

.PHONY: run test install node lint fmt clean demo

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

$(NODE_STAMP): tests/interop/package.json tests/interop/package-lock.json
	command -v npm >/dev/null || { echo "npm is required for the interop tests (apt-get install nodejs npm)"; exit 1; }
	cd tests/interop && npm ci --no-audit --no-fund --loglevel=error
	touch $@

node: $(NODE_STAMP)

## Serve on http://127.0.0.1:8000 with the embedded defaults (SQLite file, in-process broker).
run: install
	$(BIN)/atelier db upgrade
	$(BIN)/atelier demo   # the seed's workshop, loaded once; prints its join code and links
	$(BIN)/atelier serve

## The whole suite: unit, contract (SQLite + PostgreSQL), server, interop with real Node clients.
test: install node
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check domain collab server tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff format domain collab server tests bench

clean:
	rm -rf $(VENV) tests/interop/node_modules .pytest_cache .mypy_cache .ruff_cache
