"""One HealthyLevels type and its local cache (issues 21 and 26): exact JSON round trip, keys
that change with every input, a damaged or foreign file read as a miss, never as levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collectors.healthy import HealthyLevels, cached_levels, measure_healthy, size_key
from collectors.healthy_cache import DiskHealthyCache, frame_fingerprint, healthy_cache
from collectors.recipe import ReferenceRecipe


def _levels() -> HealthyLevels:
    rng = np.random.default_rng(0)

    def draw(r: np.random.Generator, m: int, replacement: bool) -> dict[str, float]:
        rows = r.choice(50, size=m, replace=replacement)
        return {"coverage": float(rows.mean() / 49), "density": float(rng.normal())}

    return measure_healthy(draw, 50, 20, seed=3, count=8)


def test_levels_carry_their_meta_and_round_trip_exactly() -> None:
    levels = _levels()
    assert levels.sample_rows == 20 and levels.holdout_rows == 50 and levels.draws == 8
    assert not levels.repeated_rows and not levels.replacement and levels.reliable
    assert levels.figures is levels and set(levels.spread) == {"coverage", "density"}
    back = HealthyLevels.from_json(levels.to_json())
    assert dict(back) == dict(levels) and back.spread == levels.spread
    assert back.meta == levels.meta
    assert not HealthyLevels().reliable  # empty: says nothing


def test_the_disk_cache_hits_only_its_own_key_and_size(tmp_path) -> None:
    cache = DiskHealthyCache(tmp_path)
    levels = _levels()
    calls = []

    def compute() -> HealthyLevels:
        calls.append(1)
        return levels

    key = "ab" * 32
    assert cached_levels(cache, key, 20, compute) == (levels, False)
    found, loaded = cached_levels(cache, key, 20, compute)
    assert loaded and found.meta == levels.meta and len(calls) == 1
    assert cache.hits == 1 and cache.misses == 1
    assert cache.load(size_key(key, 20), 21) is None  # another size under the same key
    cached_levels(cache, "cd" * 32, 20, compute)
    assert len(calls) == 2
    (tmp_path / f"{size_key(key, 20)}.json").write_text("{not json")
    assert cache.load(size_key(key, 20), 20) is None  # damaged: a miss, never levels
    with pytest.raises(ValueError, match="hex digest"):
        cache.load("../escape", 20)
    assert cached_levels(None, key, 20, compute)[1] is False


def test_the_cache_location_and_switch(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("TAILWATCH_CACHE_DIR", str(tmp_path / "c"))
    default = healthy_cache(None)
    assert default is not None and default.folder == tmp_path / "c"
    monkeypatch.setenv("TAILWATCH_CACHE_DIR", "off")
    assert healthy_cache(None) is None and healthy_cache(False) is None
    given = healthy_cache(tmp_path / "given")
    assert given is not None and given.folder == tmp_path / "given"


def test_the_recipe_key_follows_every_input() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=100), "c": rng.choice(["a", "b"], 100)})
    reference, holdout = frame.iloc[:60], frame.iloc[60:]
    recipe = ReferenceRecipe(k=5, sample_size=40)
    key = recipe.key(reference, holdout)
    assert key == ReferenceRecipe(k=5, sample_size=40).key(reference.copy(), holdout.copy())
    edited = reference.copy()
    edited.iloc[3, 1] = "b" if edited.iloc[3, 1] == "a" else "a"
    others = {
        recipe.key(edited, holdout),
        recipe.key(reference, holdout.iloc[::-1]),
        recipe.key(reference, holdout, training=reference),
        ReferenceRecipe(k=4, sample_size=40).key(reference, holdout),
        ReferenceRecipe(k=5, sample_size=40, seed=1).key(reference, holdout),
        ReferenceRecipe(k=5, sample_size=40, target="c").key(reference, holdout),
        recipe.key(reference.rename(columns={"x": "y"}), holdout),
    }
    assert key not in others and len(others) == 7
    assert frame_fingerprint(reference.reset_index(drop=True)) == frame_fingerprint(reference)


def test_the_recipe_declares_the_row_constraints() -> None:
    with pytest.raises(ValueError, match=r"sample_size \(5\) must be > k \(5\)"):
        ReferenceRecipe(k=5, sample_size=5)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        ReferenceRecipe(k=0)
    frame = pd.DataFrame({"x": np.arange(12.0)})
    with pytest.raises(ValueError, match="both must be more than k = 5"):
        ReferenceRecipe(k=5).fit(frame.iloc[:5], holdout=frame)
    with pytest.raises(ValueError, match=r"version 'v': 3 rows; need more than k = 5"):
        ReferenceRecipe(k=5).check_version(3, "version 'v'")


def test_numeric_frames_are_fingerprinted_by_their_values_whatever_their_layout() -> None:
    """Numbers are hashed by their bytes: the same values in any memory layout or row index give
    one fingerprint; one value, a dtype, a column's name or order changed gives another."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes(as_frame=True).frame
    same = {
        frame_fingerprint(data),
        frame_fingerprint(data.copy()),
        frame_fingerprint(pd.DataFrame(np.asfortranarray(data.to_numpy()), columns=data.columns)),
        frame_fingerprint(data.set_index(data.index + 7)),
        frame_fingerprint(data.iloc[::1]),
    }
    assert len(same) == 1
    edited = data.copy()
    edited.iloc[100, 3] = np.nextafter(edited.iloc[100, 3], np.inf)  # one ulp
    mixed = data.assign(sex=data["sex"].astype(np.float32))
    others = {
        frame_fingerprint(edited),
        frame_fingerprint(data.astype(np.float32)),
        frame_fingerprint(mixed),
        frame_fingerprint(mixed.assign(bmi=mixed["bmi"] + 1.0)),
        frame_fingerprint(data.rename(columns={"bmi": "BMI"})),
        frame_fingerprint(data[list(reversed(data.columns))]),
        frame_fingerprint(data.iloc[:-1]),
        frame_fingerprint(data.assign(when=pd.Timestamp("2026-01-01"))),
    }
    assert len(others) == 8 and not others & same
