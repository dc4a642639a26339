"""The real-data detection suite of ``benchmarks/bench_detection.py`` (issue 11)."""
