"""Predicted elements paired with ground-truth elements, and the reading-order metric on the pairs.

OmniDocBench scores reading order as the normalised edit distance between two sequences of matched elements: the
ground truth's own order and the order the prediction put the same elements in (its README, "End-to-End
Evaluation": `reading_order: metric: Edit_dist`, computed on the matched pairs of the end2end match). Elements
left unmatched do not enter the order; the text metric already charges for them.
"""
from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from core.layout.elements import Box, LayoutElement
from core.layout.scoring.text import strip_markup
from core.metrics import normalize

# Pairs below these are not the same element: the usual detection IoU of 0.5, and at least half the text in common.
MIN_BOX_IOU = 0.5
MIN_TEXT_SIMILARITY = 0.5


def box_iou(first: Box, second: Box) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes; 0.0 when they do not overlap or have no area."""
    width = min(first[2], second[2]) - max(first[0], second[0])
    height = min(first[3], second[3]) - max(first[1], second[1])
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    union = _area(first) + _area(second) - overlap
    return overlap / union if union > 0 else 0.0


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def element_similarity(predicted: LayoutElement, truth: LayoutElement) -> float:
    """Box IoU when both elements have a box, else the normalised similarity of their markup-free texts."""
    if predicted.box is not None and truth.box is not None:
        return box_iou(predicted.box, truth.box)
    return Levenshtein.normalized_similarity(normalize(strip_markup(predicted.text)),
                                             normalize(strip_markup(truth.text)))


def match_elements(predicted: Sequence[LayoutElement], truth: Sequence[LayoutElement]) -> list[tuple[int, int]]:
    """One-to-one (predicted index, truth index) pairs, most similar first, each above its threshold.

    Greedy on the similarity: the best remaining pair is taken until none is left above the threshold. Sorted by
    truth index.
    """
    candidates = []
    for p, predicted_element in enumerate(predicted):
        for t, truth_element in enumerate(truth):
            both_boxed = predicted_element.box is not None and truth_element.box is not None
            similarity = element_similarity(predicted_element, truth_element)
            if similarity >= (MIN_BOX_IOU if both_boxed else MIN_TEXT_SIMILARITY):
                candidates.append((similarity, p, t))
    # Ties broken by position, so equal scores always pair the same way.
    candidates.sort(key=lambda candidate: (-candidate[0], candidate[2], candidate[1]))
    used_predicted, used_truth, pairs = set(), set(), []
    for _, p, t in candidates:
        if p not in used_predicted and t not in used_truth:
            used_predicted.add(p)
            used_truth.add(t)
            pairs.append((p, t))
    return sorted(pairs, key=lambda pair: pair[1])


def reading_orders(predicted: Sequence[LayoutElement],
                   truth: Sequence[LayoutElement]) -> tuple[list[str], list[str]]:
    """(predicted order, truth order) of the matched elements, each named by its truth index as a string."""
    pairs = match_elements(predicted, truth)
    truth_order = [str(t) for _, t in pairs]
    predicted_order = [str(t) for _, t in sorted(pairs)]
    return predicted_order, truth_order


def reading_order_distance(predicted_order: list[str], truth_order: list[str]) -> float:
    """Edit distance between the two orders over the longer one's length, in [0, 1]; 0.0 when both are empty."""
    longest = max(len(predicted_order), len(truth_order))
    return Levenshtein.distance(predicted_order, truth_order) / longest if longest else 0.0
