"""Implicit-feedback interaction data: a seeded MovieLens-like generator, MovieLens loaders, splits.

Ray-free and numpy-only (pyarrow reads the MovieLens files), so it is usable without a cluster.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..._errors import ConfigError, StorageError, invalid_parameter

__all__ = [
    "Interactions",
    "Split",
    "generate_interactions",
    "leave_last_out",
    "load_movielens",
    "time_split",
]

# ml-100k has 943 users and 1,682 items for 100,000 ratings; ml-20m 138k users and 27k items.
_BASE_INTERACTIONS = 100_000
_BASE_USERS = 943
_BASE_ITEMS = 1_682
_USER_EXPONENT = 0.9
_ITEM_EXPONENT = 0.5
_MIN_PER_USER = 20  # MovieLens keeps users with at least 20 ratings
_EPOCH_START = 874_724_710  # first timestamp of ml-100k (1997-09-20)
_SPAN_SECONDS = 7 * 365 * 86_400
_MAX_ROUNDS = 12


@dataclass(frozen=True)
class Interactions:
    """Implicit-feedback interactions as three aligned arrays, ids contiguous from 0."""

    users: np.ndarray  # int32
    items: np.ndarray  # int32
    timestamps: np.ndarray  # int64, seconds
    n_users: int
    n_items: int

    def __len__(self) -> int:
        return int(self.users.shape[0])

    def subset(self, mask: np.ndarray) -> Interactions:
        """The interactions selected by a boolean mask, keeping the id spaces."""
        return Interactions(
            self.users[mask], self.items[mask], self.timestamps[mask], self.n_users, self.n_items
        )

    @property
    def density(self) -> float:
        return len(self) / float(self.n_users * self.n_items)


@dataclass(frozen=True)
class Split:
    """Training interactions and held-out validation interactions over the same id spaces."""

    train: Interactions
    valid: Interactions


def _sizes(n_interactions: int) -> tuple[int, int]:
    scale = n_interactions / _BASE_INTERACTIONS
    n_users = max(50, round(_BASE_USERS * scale**_USER_EXPONENT))
    n_items = max(100, round(_BASE_ITEMS * scale**_ITEM_EXPONENT))
    return n_users, n_items


def _check_positive_int(value: object, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(
            invalid_parameter(name, "generate_interactions", f"an int >= {minimum}", value)
        )
    return int(value)


def generate_interactions(
    n_interactions: int,
    *,
    seed: int = 0,
    n_users: int | None = None,
    n_items: int | None = None,
    n_topics: int = 16,
    topic_concentration: float = 0.05,
    popularity_exponent: float = 0.8,
    affinity_shape: float = 0.1,
) -> Interactions:
    """Generate implicit-feedback interactions with MovieLens-like statistics.

    The generative model is a topic model, so the user x item probability matrix has rank
    ``n_topics``: every user has a Dirichlet(``topic_concentration``) taste over topics, every topic
    a distribution over items that is the product of a global Zipf popularity
    (exponent ``popularity_exponent``) and a sparse Gamma(``affinity_shape``) topic affinity. User
    activity is log-normal with at least 20 interactions per user (MovieLens' rule); every (user,
    item) pair appears at most once; timestamps run forward per user inside a seven-year window.

    ``n_users``/``n_items`` default to the MovieLens growth curve (943 users and 1,682 items at 100k
    interactions, about 110k users and 24k items at 20M). The result has ``n_interactions`` rows,
    or slightly fewer when heavy users exhaust their distinct items. Same arguments, same data.
    """
    n_interactions = _check_positive_int(n_interactions, "n_interactions", 1_000)
    default_users, default_items = _sizes(n_interactions)
    n_users = default_users if n_users is None else _check_positive_int(n_users, "n_users", 2)
    n_items = default_items if n_items is None else _check_positive_int(n_items, "n_items", 2)
    n_topics = _check_positive_int(n_topics, "n_topics", 1)
    min_per_user = min(_MIN_PER_USER, max(2, n_interactions // n_users))
    if n_users * min_per_user > n_interactions:
        raise ConfigError(
            invalid_parameter(
                "n_users", "generate_interactions",
                f"at most n_interactions / {min_per_user}", n_users,
            )
        )
    rng = np.random.default_rng(seed)

    # Popularity: Zipf over a random permutation of items; topic affinity: Gamma(affinity_shape) per topic.
    ranks = rng.permutation(n_items) + 1.0
    popularity = ranks**-popularity_exponent
    affinity = rng.gamma(affinity_shape, 1.0 / affinity_shape, size=(n_topics, n_items))
    topic_items = popularity[None, :] * affinity
    topic_cdf = np.cumsum(topic_items, axis=1)
    topic_cdf /= topic_cdf[:, -1:]

    # User activity: log-normal weights on top of the MovieLens minimum.
    weights = rng.lognormal(0.0, 1.0, size=n_users)
    extra = rng.multinomial(n_interactions - n_users * min_per_user, weights / weights.sum())
    counts = extra + min_per_user
    tastes = rng.dirichlet(np.full(n_topics, topic_concentration), size=n_users)
    taste_cdf = np.cumsum(tastes, axis=1)

    # Draw in rounds until every user has `count` distinct items. Heavy users whose tastes run out
    # of distinct items top up from global popularity (off-taste interactions, as in real logs).
    counts = np.minimum(counts, n_items)
    pop_cdf = np.cumsum(popularity)[None, :] / popularity.sum()
    pairs = np.empty(0, dtype=np.int64)
    for round_ in range(_MAX_ROUNDS):
        deficit = counts - np.bincount(pairs // n_items, minlength=n_users)
        if not deficit.any():
            break
        draws = np.ceil(deficit * 1.5).astype(np.int64) + 2 * (deficit > 0)
        users = np.repeat(np.arange(n_users, dtype=np.int64), draws)
        if round_ < _MAX_ROUNDS // 2:
            items = _draw_items(users, taste_cdf, topic_cdf, rng)
        else:
            items = _draw_items(users, np.ones((n_users, 1)), pop_cdf, rng)
        pairs = _add_distinct(pairs, users * n_items + items, deficit, n_items, rng)
    users, items = pairs // n_items, pairs % n_items
    # Interaction order within a user is random (not item order) before timestamps are assigned.
    shuffle = np.lexsort((rng.random(users.size), users))
    users, items = users[shuffle], items[shuffle]

    # Timestamps: each user starts somewhere in the window and rates at exponential gaps.
    start = _EPOCH_START + rng.integers(0, _SPAN_SECONDS // 2, size=n_users)
    gaps = rng.exponential(3 * 86_400.0, size=users.size).astype(np.int64) + 1
    elapsed = np.cumsum(gaps)
    first_row = np.searchsorted(users, users, side="left")  # users are sorted
    timestamps = start[users] + elapsed - (elapsed[first_row] - gaps[first_row])
    return Interactions(
        users.astype(np.int32), items.astype(np.int32), timestamps.astype(np.int64),
        n_users, n_items,
    )


def _add_distinct(
    pairs: np.ndarray, new: np.ndarray, deficit: np.ndarray, n_items: int, rng: np.random.Generator
) -> np.ndarray:
    """Add up to ``deficit[u]`` new distinct ``user * n_items + item`` keys per user to ``pairs``."""
    new = new[rng.permutation(new.size)]  # the kept draws of a user are a random subset
    new = new[~_contains_sorted(pairs, new)]
    new = new[_first_occurrences(new)]
    new_users = new // n_items
    order = np.argsort(new_users, kind="stable")
    new, new_users = new[order], new_users[order]
    starts = np.concatenate(([0], np.cumsum(np.bincount(new_users, minlength=deficit.size))[:-1]))
    position = np.arange(new.size) - starts[new_users]
    return np.sort(np.concatenate((pairs, new[position < deficit[new_users]])))


def _contains_sorted(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """``np.isin(needles, haystack)`` for a sorted haystack (sort-based: fast for int64 keys)."""
    if haystack.size == 0:
        return np.zeros(needles.size, dtype=bool)
    where = np.minimum(np.searchsorted(haystack, needles), haystack.size - 1)
    return haystack[where] == needles


def _first_occurrences(values: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct value, in ascending index order."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.ones(values.size, dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return np.sort(order[first])


def _draw_items(
    users: np.ndarray, taste_cdf: np.ndarray, topic_cdf: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One item per entry of ``users``: a topic from the user's taste, an item from the topic."""
    topics = _sample_rows(taste_cdf, users, rng)
    items = np.empty_like(users)
    for topic in range(topic_cdf.shape[0]):
        where = np.flatnonzero(topics == topic)
        items[where] = np.searchsorted(topic_cdf[topic], rng.random(where.size), side="right")
    np.minimum(items, topic_cdf.shape[1] - 1, out=items)
    return items


def _sample_rows(cdf: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sample one category per entry of ``rows`` from the row-wise CDFs ``cdf[rows]`` (chunked)."""
    out = np.empty(rows.size, dtype=np.int64)
    u = rng.random(rows.size)
    chunk = 1 << 20
    for lo in range(0, rows.size, chunk):
        hi = min(lo + chunk, rows.size)
        row_cdf = cdf[rows[lo:hi]]
        out[lo:hi] = (row_cdf < u[lo:hi, None] * row_cdf[:, -1:]).sum(axis=1)
    np.minimum(out, cdf.shape[1] - 1, out=out)
    return out


def load_movielens(path: str | os.PathLike[str], *, min_rating: float | None = None) -> Interactions:
    """Load MovieLens ratings as implicit feedback.

    Reads ``u.data`` of ml-100k (tab-separated ``user item rating timestamp``, no header) or
    ``ratings.csv`` of ml-latest / ml-20m / ml-25m (``userId,movieId,rating,timestamp``). Ratings below
    ``min_rating`` are dropped (``None`` keeps every rating: a rating is an interaction). User and item
    ids are re-indexed to contiguous ints in ascending order of the original ids.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    if not path.is_file():
        raise StorageError(
            invalid_parameter(
                "path", "load_movielens", "an existing u.data or ratings.csv file", str(path),
                "Download MovieLens from https://grouplens.org/datasets/movielens/ and point to it.",
            )
        )
    names = ["user", "item", "rating", "timestamp"]
    types = {"user": pa.int64(), "item": pa.int64(), "rating": pa.float64(), "timestamp": pa.int64()}
    try:
        if path.suffix == ".csv":
            read = pacsv.ReadOptions(column_names=names, skip_rows=1)
            parse = pacsv.ParseOptions(delimiter=",")
        else:
            read = pacsv.ReadOptions(column_names=names)
            parse = pacsv.ParseOptions(delimiter="\t")
        table = pacsv.read_csv(
            path, read_options=read, parse_options=parse,
            convert_options=pacsv.ConvertOptions(column_types=types),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise StorageError(
            invalid_parameter(
                "path", "load_movielens", "a MovieLens u.data or ratings.csv file", str(path),
                f"Reading it failed: {exc}",
            )
        ) from exc
    users = table.column("user").to_numpy()
    items = table.column("item").to_numpy()
    ratings = table.column("rating").to_numpy()
    timestamps = table.column("timestamp").to_numpy()
    if min_rating is not None:
        keep = ratings >= min_rating
        users, items, timestamps = users[keep], items[keep], timestamps[keep]
    user_ids, users = np.unique(users, return_inverse=True)
    item_ids, items = np.unique(items, return_inverse=True)
    return Interactions(
        users.astype(np.int32), items.astype(np.int32), timestamps.astype(np.int64),
        int(user_ids.size), int(item_ids.size),
    )


def leave_last_out(data: Interactions) -> Split:
    """Hold out each user's latest interaction (ties: the later row); users with one stay in train."""
    order = np.lexsort((np.arange(len(data)), data.timestamps, data.users))
    users = data.users[order]
    last = np.ones(users.size, dtype=bool)
    last[:-1] = users[:-1] != users[1:]
    counts = np.bincount(data.users, minlength=data.n_users)
    held = last & (counts[users] >= 2)
    mask = np.zeros(len(data), dtype=bool)
    mask[order[held]] = True
    return Split(train=data.subset(~mask), valid=data.subset(mask))


def time_split(data: Interactions, valid_fraction: float = 0.1) -> Split:
    """Hold out the latest ``valid_fraction`` of interactions (global time cut-off).

    Validation keeps only users and items that also appear in training (cold start is out of scope).
    """
    if not 0.0 < valid_fraction < 1.0:
        raise ConfigError(
            invalid_parameter("valid_fraction", "time_split", "in (0, 1)", valid_fraction)
        )
    order = np.lexsort((np.arange(len(data)), data.timestamps))
    cut = len(data) - max(1, round(len(data) * valid_fraction))
    is_valid = np.zeros(len(data), dtype=bool)
    is_valid[order[cut:]] = True
    train = data.subset(~is_valid)
    seen_users = np.bincount(train.users, minlength=data.n_users) > 0
    seen_items = np.bincount(train.items, minlength=data.n_items) > 0
    is_valid &= seen_users[data.users] & seen_items[data.items]
    return Split(train=train, valid=data.subset(is_valid))
