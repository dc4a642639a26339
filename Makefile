.PHONY: test lint bench bench-quick bench-corpus

test:
	python -m pytest -q

lint:
	ruff check . && ruff format --check .

# Speed and memory benchmarks (about 10 minutes on 2 cores); see benchmarks/README.md.
bench:
	python -m benchmarks.bench_fidelity

# Small sizes only: a smoke test of the benchmark script (< 30 s).
bench-quick:
	python -m benchmarks.bench_fidelity --quick

# Corpus snapshot scan against DuckDB's bare scan (10 million rows; a few minutes).
bench-corpus:
	python -m benchmarks.bench_corpus
