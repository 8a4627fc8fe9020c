# Two commands matter: `make run` and `make test`. Everything else is what they call.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE_STAMP := tests/interop/node_modules/.installed-stamp
WEB_STAMP  := web/node_modules/.installed-stamp

.PHONY: run test install node lint fmt clean demo web web-check fuzz

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

$(WEB_STAMP): web/package.json web/package-lock.json
	command -v npm >/dev/null || { echo "npm is required to build the web client (apt-get install nodejs npm)"; exit 1; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The interop tests' Node clients, and the web client's packages (axe-core for tests/web).
node: $(NODE_STAMP) $(WEB_STAMP)

## Rebuild the browser client into web/dist (committed: `make run` needs no Node).
web: $(WEB_STAMP)
	cd web && npm run build

## CI: the catalogs agree and the committed web/dist is exactly what web/src builds to.
web-check: $(WEB_STAMP)
	cd web && npm run check

## Serve on http://127.0.0.1:8000 with the embedded defaults (SQLite file, in-process broker).
run: install
	$(BIN)/atelier db upgrade
	$(BIN)/atelier demo   # the seed's workshop, loaded once; prints its join code and links
	$(BIN)/atelier serve

## The whole suite: unit, contract (SQLite + PostgreSQL), server, interop with real Node clients.
## On PYTEST_WORKERS processes (pytest-xdist), each taking whole test files: a module's shared
## server or browser demo starts once. PYTEST_WORKERS=0 runs it in this one process. The 25
## slowest tests are listed at the end: the suite must stay well under half of CI's 90 minutes.
PYTEST_WORKERS ?= 2
test: install node
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25 $(PYTEST_ARGS)

## The OpenAPI fuzz at full size: FUZZ_CASES generated requests against a real, seeded server
## (`make test` runs the same test with 280). FUZZ_SEED repeats a run; by default each run differs.
FUZZ_CASES ?= 12000
FUZZ_SEED  ?= $(shell date +%s)
fuzz: install
	ATELIER_FUZZ_CASES=$(FUZZ_CASES) ATELIER_FUZZ_SEED=$(FUZZ_SEED) \
	  $(BIN)/python -m pytest tests/server/test_openapi_fuzz.py -s -p no:cacheprovider -o timeout=0 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check domain collab server tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff format domain collab server tests bench

clean:
	rm -rf $(VENV) tests/interop/node_modules web/node_modules .pytest_cache .mypy_cache .ruff_cache
