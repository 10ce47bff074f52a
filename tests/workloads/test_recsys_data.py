"""The interaction generator, the MovieLens loaders and the validation splits."""

from __future__ import annotations

import numpy as np
import pytest

from raysweep import ConfigError, StorageError
from raysweep.workloads.recsys import (
    generate_interactions,
    leave_last_out,
    load_movielens,
    time_split,
)


@pytest.fixture(scope="module")
def data():
    return generate_interactions(100_000, seed=0)


def test_size_and_movielens_shape(data):
    assert 0.98 * 100_000 <= len(data) <= 100_000
    assert (data.n_users, data.n_items) == (943, 1682)  # ml-100k's shape
    per_user = np.bincount(data.users, minlength=data.n_users)
    assert per_user.min() >= 20  # MovieLens' rule
    assert per_user.max() > 8 * np.median(per_user)  # skewed activity


def test_power_law_item_popularity(data):
    counts = np.sort(np.bincount(data.items, minlength=data.n_items))[::-1]
    top_share = counts[: data.n_items // 10].sum() / counts.sum()
    assert top_share > 0.3  # the top 10 % of items take a third of the interactions or more
    # Log-log slope of rank vs count over the head is clearly negative.
    ranks = np.arange(1, 201)
    slope = np.polyfit(np.log(ranks), np.log(counts[:200] + 1), 1)[0]
    assert slope < -0.3


def test_pairs_unique_and_timestamps_increase_per_user(data):
    keys = data.users.astype(np.int64) * data.n_items + data.items
    assert np.unique(keys).size == len(data)
    same_user = data.users[1:] == data.users[:-1]
    assert np.all(np.diff(data.timestamps)[same_user] > 0)


def test_deterministic_per_seed():
    a = generate_interactions(5_000, seed=1)
    b = generate_interactions(5_000, seed=1)
    c = generate_interactions(5_000, seed=2)
    assert np.array_equal(a.items, b.items) and np.array_equal(a.timestamps, b.timestamps)
    assert not np.array_equal(a.items[:1000], c.items[:1000])


def test_bad_size_is_a_config_error():
    with pytest.raises(ConfigError, match="'n_interactions' parameter of generate_interactions"):
        generate_interactions(10)


def test_leave_last_out_holds_out_each_users_latest(data):
    split = leave_last_out(data)
    assert len(split.train) + len(split.valid) == len(data)
    assert np.unique(split.valid.users).size == len(split.valid) == data.n_users
    latest = np.full(data.n_users, -1, dtype=np.int64)
    np.maximum.at(latest, split.train.users, split.train.timestamps)
    assert np.all(split.valid.timestamps > latest[split.valid.users])


def test_time_split_cuts_globally(data):
    split = time_split(data, 0.1)
    assert split.valid.timestamps.min() >= split.train.timestamps.max()
    assert 0.05 * len(data) < len(split.valid) <= 0.1 * len(data) + 1
    with pytest.raises(ConfigError):
        time_split(data, 1.5)


def test_load_ml100k_u_data(tmp_path):
    path = tmp_path / "u.data"
    path.write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t5\t881251000\n")
    data = load_movielens(path)
    assert (len(data), data.n_users, data.n_items) == (3, 2, 2)
    assert data.users.tolist() == [1, 0, 1]  # 186 -> 0, 196 -> 1
    assert data.items.tolist() == [0, 1, 1]  # 242 -> 0, 302 -> 1
    assert len(load_movielens(path, min_rating=4)) == 1


def test_load_ml_latest_ratings_csv(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n"
                    "2,1,2.5,1445714835\n")
    data = load_movielens(path, min_rating=3.0)
    assert (len(data), data.n_users, data.n_items) == (2, 1, 2)
    assert data.timestamps.tolist() == [964982703, 964981247]


def test_missing_file_is_a_storage_error(tmp_path):
    with pytest.raises(StorageError, match="'path' parameter of load_movielens"):
        load_movielens(tmp_path / "nope.csv")
