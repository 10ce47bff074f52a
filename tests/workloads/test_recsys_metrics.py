"""Ranking metrics against hand-computed cases, and the vectorised path against the reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

from raysweep.workloads.recsys import ndcg_at_k, rank_metrics, recall_at_k


def test_single_held_out_item_at_rank_two():
    assert ndcg_at_k([7, 3, 5], {3}, k=10) == pytest.approx(1 / math.log2(3))
    assert recall_at_k([7, 3, 5], {3}, k=1) == 0.0
    assert recall_at_k([7, 3, 5], {3}, k=2) == 1.0


def test_two_relevant_items_hand_computed():
    # Relevant at ranks 1 and 3: DCG = 1 + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3).
    expected = 1.5 / (1 + 1 / math.log2(3))
    assert ndcg_at_k([1, 9, 2, 8], {1, 2}, k=10) == pytest.approx(expected)
    # Cut at k=2 only the first hit counts; the ideal also has two slots.
    assert ndcg_at_k([1, 9, 2, 8], {1, 2}, k=2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert recall_at_k([1, 9, 2, 8], {1, 2}, k=2) == 0.5


def test_miss_outside_k_and_empty_relevant():
    assert ndcg_at_k([0, 1, 2], {2}, k=2) == 0.0
    assert ndcg_at_k([0, 1, 2], set(), k=2) == 0.0


def test_vectorised_hand_case_with_training_items_excluded():
    # 4 items; scores rank items 0 > 1 > 2 > 3. Item 0 was seen in training, so it is excluded:
    # the held-out item 2 moves from rank 3 to rank 2.
    scores = np.array([[4.0, 3.0, 2.0, 1.0]])
    relevant = np.array([[False, False, True, False]])
    exclude = np.array([[True, False, False, False]])
    ndcg, recall = rank_metrics(scores, relevant, exclude, ndcg_k=10, recall_k=1)
    assert ndcg[0] == pytest.approx(1 / math.log2(3))
    assert recall[0] == 0.0
    ndcg, _ = rank_metrics(scores, relevant, None, ndcg_k=10, recall_k=1)
    assert ndcg[0] == pytest.approx(1 / math.log2(4))


def test_vectorised_rows_without_relevant_items_are_nan():
    ndcg, recall = rank_metrics(np.array([[1.0, 2.0, 3.0]] * 2), np.array([[0, 0, 0], [0, 0, 1]]))
    assert np.isnan(ndcg[0]) and np.isnan(recall[0])
    assert ndcg[1] == 1.0 and recall[1] == 1.0


def test_vectorised_matches_reference_on_random_data():
    rng = np.random.default_rng(3)
    scores = rng.standard_normal((50, 40))
    relevant = rng.random((50, 40)) < 0.1
    exclude = (rng.random((50, 40)) < 0.2) & ~relevant
    ndcg, recall = rank_metrics(scores, relevant, exclude, ndcg_k=10, recall_k=20)
    for row in range(50):
        masked = np.where(exclude[row], -np.inf, scores[row])
        ranked = list(np.argsort(-masked, kind="stable"))
        items = set(np.flatnonzero(relevant[row]).tolist())
        if not items:
            assert np.isnan(ndcg[row])
            continue
        assert ndcg[row] == pytest.approx(ndcg_at_k(ranked, items, 10))
        assert recall[row] == pytest.approx(recall_at_k(ranked, items, 20))


def test_ties_break_toward_lower_item_id():
    scores = np.ones((1, 5))
    relevant = np.array([[False, False, False, False, True]])
    ndcg, recall = rank_metrics(scores, relevant, ndcg_k=3, recall_k=5)
    assert ndcg[0] == 0.0 and recall[0] == 1.0
