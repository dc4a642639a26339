"""BLAS's process-wide thread count under limits taken from several threads at once."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.datasets import load_wine

import tailwatch
from collectors.knn.engine import (
    blas_thread_counts,
    preserving_blas_threads,
    single_threaded_blas,
)


@pytest.fixture
def two_blas_threads() -> dict[str, int]:
    """Every BLAS library at 2 threads for the test (its counts as found put back after)."""
    with preserving_blas_threads():
        from collectors.knn.engine import _blas_threads

        for library in _blas_threads().lib_controllers:
            if library.user_api == "blas":
                library.set_num_threads(2)
        counts = blas_thread_counts()
        assert counts and set(counts.values()) == {2}
        yield counts


def test_a_library_limit_interleaved_is_put_back(two_blas_threads: dict[str, int]) -> None:
    """A limit that is not ours (scikit-learn's own, here threadpoolctl's) taken while ours
    was open and restored after ours closed restores the one thread it found: the public call
    puts the counts back (without it BLAS stays at one thread)."""
    from threadpoolctl import threadpool_limits

    @preserving_blas_threads()
    def call() -> None:
        with single_threaded_blas():
            foreign = threadpool_limits(limits=1, user_api="blas")  # finds 1 (ours)
        foreign.restore_original_limits()  # after ours closed: back to 1

    call()
    assert blas_thread_counts() == two_blas_threads


def test_evaluate_leaves_blas_as_found(two_blas_threads: dict[str, int]) -> None:
    """A cold evaluate with a holdout runs the families' thread beside the k-NN work."""
    wine = load_wine(as_frame=True).frame.drop(columns="target")
    for seed in range(3):
        shuffled = wine.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        real, holdout, version = shuffled[:90], shuffled[90:130], shuffled[130:]
        tailwatch.evaluate(pd.DataFrame(real), version, holdout=holdout, cache=False)
        assert blas_thread_counts() == two_blas_threads
