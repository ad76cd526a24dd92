# Red Map — the two commands a new machine needs:
#   make run    set up a virtual environment and start the app on the demo district
#   make test   set up everything the tests need (incl. Debian's chromium) and run them
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint demo validate docs browser axe clean bench bench-quick mutate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(BIN)/python app.py

# Browser tests drive Debian's chromium (never a downloaded browser).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# The accessibility tests inject axe-core, from the npm registry (never fetched at test time).
AXE := var/axe/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE):
	npm install --silent --no-audit --no-fund --prefix var/axe axe-core@4.14.1

test: $(VENV)/.dev browser $(AXE)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .

demo: $(VENV)/.runtime
	$(BIN)/python -m geodata demo --out var/demo.gpkg

# The demo district ×10 (a city) and ×100 (a province): N copies side by side, for the benchmark.
demo-x10: $(VENV)/.runtime
	$(BIN)/python -m geodata demo --out var/demo-x10.gpkg --scale 10

demo-x100: $(VENV)/.runtime
	$(BIN)/python -m geodata demo --out var/demo-x100.gpkg --scale 100

validate: $(VENV)/.runtime
	$(BIN)/python -m geodata validate $${REDMAP_DATA:-var/demo.gpkg}

docs: $(VENV)/.dev
	$(BIN)/python -m geodata docs > geodata/README.md

# Benchmark: every hot path against its baseline, same run; table on stdout, JSON in bench/results/.
bench-quick: $(VENV)/.dev
	$(BIN)/python -m bench --quick --out bench/results/quick.json

bench: $(VENV)/.dev
	$(BIN)/python -m bench --scale 1 --scale 10 --scale 100 --out bench/results/full.json

# Mutation run over privacy, access, metrics, validation and layer specs (long; not in CI).
mutate: $(VENV)/.dev
	$(BIN)/python -m tests.mutation

clean:
	rm -rf var/demo.gpkg .pytest_cache
