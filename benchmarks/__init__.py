"""Performance benchmarks (not part of the test suite; run them with ``make bench``)."""
