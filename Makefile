.PHONY: test lint typecheck bench bench-cold-start bench-quick bench-corpus bench-detection bench-null bench-gates bench-corpus-scale bench-ray bench-text bench-evaluate bench-exporter bench-structure bench-structure-detection bench-floor bench-faults bench-sequences bench-mixing bench-mixing-verdicts bench-category-floor bench-version-then bench-openmp-wait

test:
	python -m pytest -q

lint:
	ruff check . && ruff format --check .

# Type check of the product packages (collectors, monitor, tailwatch; [tool.mypy] in pyproject.toml).
typecheck:
	python -m mypy

# Speed and memory benchmarks (about 10 minutes on 2 cores); see benchmarks/README.md.
bench:
	python -m benchmarks.bench_fidelity

# Small sizes only: a smoke test of the benchmark script (< 30 s).
bench-quick:
	python -m benchmarks.bench_fidelity --quick

# Corpus snapshot scan against DuckDB's bare scan (10 million rows; a few minutes).
bench-corpus:
	python -m benchmarks.bench_corpus

# Sampled estimates against the full scan at 100 million rows (issue 16; a few minutes, ~1 GB of
# temporary Parquet); smoke run: python -m benchmarks.bench_corpus_scale --rows 2000000.
bench-corpus-scale:
	python -m benchmarks.bench_corpus_scale

# Full scans on Ray (1 and 2 workers of a local cluster) against DuckDB on the same 10 million rows
# (issue 16; ~5 minutes, needs the ray extra); smoke run: python -m benchmarks.bench_ray --rows 1000000.
bench-ray:
	python -m benchmarks.bench_ray

# False-positive rate of the near-duplicate defaults (no known-human data) on real human text
# and tables that ship here (about 1 minute); see benchmarks/README.md.
bench-null:
	python -m benchmarks.bench_near_duplicate_null

# Real-data detection suite (issue 11): verdicts against ground truth; about 10 minutes on 2 cores.
# Smoke run: python -m benchmarks.bench_detection --quick (about 1-1.5 minutes).
bench-detection:
	python -m benchmarks.bench_detection

# Soak of the real daemon (issue 12): RSS, open files, store size, bytes the read copy writes;
# 10 minutes by default (python -m benchmarks.bench_soak --minutes N for another length).
bench-soak:
	python -m benchmarks.bench_soak

# Added time of the gates (issue 15: utility, membership attack, verdicts) per 5,000-row version
# against the existing metrics' (about 2 minutes on 2 cores); see benchmarks/README.md.
bench-gates:
	python -m benchmarks.bench_gates

# Text generators (issue 17): detection on real text with markovify in a self-consuming loop, a
# fresh-data loop and a healthy control (3 seeds), and the 10,000-text throughput; about 10 minutes
# on 2 cores (pip install -e '.[bench,text]'). Smoke run: python -m benchmarks.bench_text --quick.
bench-text:
	python -m benchmarks.bench_text

# Cold start of `tailwatch scan --once` on a fresh non-editable install (pip --target): start-up
# before the first version is read, without a kernel cache, first run, cached (about 2 minutes).
bench-cold-start:
	python -m benchmarks.bench_cold_start

# One version evaluated (issue 26): tailwatch.evaluate cold, warm (same process) and warm in a new
# process (healthy levels from the disk cache) at 2k, 10k and 20k rows x 64 beside SDMetrics'
# QualityReport on the same data, medians of 3 (pip install -e '.[bench]'; several minutes on 2
# cores). Smoke run: python -m benchmarks.bench_evaluate --sizes 2000 --repeats 1.
bench-evaluate:
	python -m benchmarks.bench_evaluate

# The exporter under load (issue 25): scrapes at 100/s over TLS with basic auth, alone, beside 32
# slow TLS clients, and beside 32 clients flooding /api/status (about 1 minute).
bench-exporter:
	python -m benchmarks.bench_exporter

# Structure figures (issue 23): cost per version on statsmodels' Fair table (2,000 x 10) against
# today's per-version measure, and the figures of healthy and broken versions (about 1.5 minutes).
bench-structure:
	python -m benchmarks.bench_structure

# One Fair version's measurement now against the tree issue 23 was filed on (c6ae27a, git archive),
# separate processes alternated (issue 23's budget: now / then <= 1.5x; about a minute).
bench-version-then:
	python -m benchmarks.bench_version_then

# Structure checks (issue 23): breaks that keep the marginals and healthy controls on statsmodels'
# Fair table, seeds 0 1 2 (about 3 minutes per seed on 2 cores; --quick: seeds 0 1, fewer versions).
bench-structure-detection:
	python -m benchmarks.bench_structure_detection

# The daemon's cost per version against the k-NN floor in the same run (issue 26; reference 10k x
# 64, 5,000-row versions, with and without the structure family; a few minutes on 2 cores).
# Smoke run: python -m benchmarks.bench_floor --reference 4000 --repeats 2.
bench-floor:
	python -m benchmarks.bench_floor --repeats 5

# OpenMP's wait policy (issue 26, session 10): libgomp's default against PASSIVE, k-means alone,
# beside a busy thread, and a cold 10k evaluate, new processes alternated (a few minutes).
bench-openmp-wait:
	python -m benchmarks.bench_openmp_wait --rows 10000 --repeats 3

# Faults (issue 25): kill -9 of the real daemon mid-work, then object-storage outages of 5, 20 and
# 60 s behind a fault proxy in front of moto (pip install -e '.[test,s3]'; a few minutes).
bench-faults:
	python -m benchmarks.bench_faults kill9 --kills 5 && python -m benchmarks.bench_faults outage --seconds 5 20 60

# Sequence figures (issue 28): a version of 2,000 sequences (~108,000 events) on statsmodels'
# fertility panel, its parts and the healthy levels at its size (about 1-2 minutes; needs
# statsmodels). Smoke run: python -m benchmarks.bench_sequences --sequences 500.
bench-sequences:
	python -m benchmarks.bench_sequences

# The mixing sweep (issue 29): a version's sweep at the default size on three sklearn tables against
# one TSTR fit (about 2 minutes). Smoke run: python -m benchmarks.bench_mixing --quick.
bench-mixing:
	python -m benchmarks.bench_mixing

# The mixing sweep's verdicts (issue 29): fresh, mixture, degrading and label-shuffled generators on
# statsmodels' fair table, 1,000-row versions, 3 seeds (about 6 minutes on 2 cores).
bench-mixing-verdicts:
	python -m benchmarks.bench_mixing --verdicts

# The floor of category_share_shift (issue 23): expected rows a tenfold thinning needs to be found,
# the arcsine test against the Wald test it replaced, by simulation (about a minute).
bench-category-floor:
	python -m benchmarks.bench_category_floor
