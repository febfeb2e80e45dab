.PHONY: test check lint bench demo

# The README's test command. CI runs exactly this after installing.
test:
	python -m pytest -q

lint:
	ruff check tiergate tests benchmarks
	ruff format --check tiergate tests benchmarks
	mypy tiergate

check: lint test

bench:
	python benchmarks/bench_gateway.py

demo:
	tiergate demo
