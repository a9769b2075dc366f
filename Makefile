# The two commands of the README, and the developer's three. Each sets up its own .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/policywatch demo

test: $(STAMP)
	scripts/system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

# the README's pictures (docs/*.png, and every page in both languages and widths as docs/web-*-*.jpg)
screenshots: $(STAMP)
	scripts/system-deps
	POLICYWATCH_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/test_web_browser.py tests/test_web_i18n.py tests/test_notify_render.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) demo-out .pytest_cache
