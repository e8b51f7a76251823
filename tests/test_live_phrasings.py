import numpy as np
import pytest

from addons.live_phrasings import FloatArray, LivePhrasings, PhrasingIndex, normalized, promote
from knowledge import Faq, KnowledgeBase, KnowledgeError

# Unit vectors stand in for sentence embeddings: equal vectors are identical meanings.
VECTORS = {
    "how much is delivery": [1.0, 0.0, 0.0, 0.0],
    "returns period": [0.0, 1.0, 0.0, 0.0],
    "parcel locker": [0.0, 0.0, 1.0, 0.0],
    "gift wrap": [0.0, 0.0, 0.0, 1.0],
}


def unit(*values: float) -> FloatArray:
    vector = np.asarray(values, dtype=np.float64)
    normalised: FloatArray = vector / np.linalg.norm(vector)
    return normalised


class CountingEncoder:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> FloatArray:
        self.calls.append(texts)
        return np.vstack([unit(*VECTORS[normalized(t)]) for t in texts])


def faq(faq_id: str, *phrasings: str) -> Faq:
    return Faq(faq_id, "shipping", "en", f"{faq_id}?", f"{faq_id}.", phrasings)


TRAINED = PhrasingIndex(
    ("how much is delivery", "returns period"),
    ("faq/shipping_cost", "faq/returns_window"),
    np.vstack([unit(1, 0, 0, 0), unit(0, 1, 0, 0)]),
)


class Files:
    """The knowledge files as the classifier would read them: one base until an edit replaces it."""

    def __init__(self, *faqs: Faq) -> None:
        self.base = KnowledgeBase(list(faqs))

    def edit(self, *faqs: Faq) -> None:
        self.base = KnowledgeBase(list(faqs))

    def __call__(self) -> KnowledgeBase:
        return self.base


def live_phrasings(files: Files, encoder: CountingEncoder | None = None, margin: float = 0.05) -> LivePhrasings:
    live = LivePhrasings(TRAINED, files, "en", "faq", encoder or CountingEncoder(), threshold=0.6, margin=margin)
    live.refresh()
    return live


def test_a_new_faq_is_matched_before_any_training() -> None:
    files = Files(faq("shipping_cost", "how much is delivery"), faq("parcel_lockers", "Parcel  Locker"))
    match = live_phrasings(files).match(unit(0.1, 0, 1, 0))
    assert match is not None
    assert (match.label, match.phrasing) == ("faq/parcel_lockers", "Parcel  Locker")
    assert match.similarity == pytest.approx(1 / np.sqrt(1.01))
    assert match.trained_similarity == pytest.approx(0.1 / np.sqrt(1.01))


def test_nothing_new_means_no_match() -> None:
    live = live_phrasings(Files(faq("shipping_cost", "how much is delivery"), faq("returns_window", "returns period")))
    assert live.match(unit(1, 0, 0, 0)) is None


def test_a_trained_phrasing_at_least_as_near_keeps_the_trained_answer() -> None:
    files = Files(faq("shipping_cost", "how much is delivery"), faq("parcel_lockers", "parcel locker"))
    # Equally near a trained and a new phrasing: the margin is not met.
    assert live_phrasings(files).match(unit(1, 0, 1, 0)) is None
    assert live_phrasings(files, margin=-0.01).match(unit(1, 0, 1, 0)) is not None


def test_a_message_below_the_threshold_is_not_matched() -> None:
    files = Files(faq("parcel_lockers", "parcel locker"))
    # Cosine 0.5 with the new phrasing, 0 with every trained one still in the files.
    assert live_phrasings(files).match(unit(0, 0, 1, np.sqrt(3))) is None


def test_a_moved_phrasing_answers_with_its_new_faq() -> None:
    files = Files(faq("shipping_cost"), faq("returns_window", "returns period", "how much is delivery"))
    # Trained as shipping_cost; the editor moved it, so the trained copy no longer counts.
    match = live_phrasings(files).match(unit(1, 0, 0, 0))
    assert match is not None
    assert match.label == "faq/returns_window"
    assert match.similarity == pytest.approx(1.0)


def test_retired_faqs_leave_the_ranking_at_once() -> None:
    live = live_phrasings(Files(faq("returns_window", "returns period")))
    assert live.current([("faq/shipping_cost", 0.7), ("faq/returns_window", 0.2)]) == [("faq/returns_window", 0.2)]


def test_new_phrasings_are_encoded_once_and_only_when_the_files_change() -> None:
    encoder = CountingEncoder()
    files = Files(faq("parcel_lockers", "parcel locker"))
    live = live_phrasings(files, encoder)
    live.refresh()
    files.edit(faq("parcel_lockers", "parcel locker"), faq("gift_wrapping", "gift wrap"))
    live.refresh()
    assert encoder.calls == [["parcel locker"], ["gift wrap"]]
    match = live.match(unit(0, 0, 0, 1))
    assert match is not None
    assert match.label == "faq/gift_wrapping"


def test_unreadable_files_keep_the_phrasings_read_before() -> None:
    files = Files(faq("parcel_lockers", "parcel locker"))
    live = live_phrasings(files)

    def broken() -> KnowledgeBase:
        raise KnowledgeError("shipping.yml: not valid YAML")

    live._knowledge = broken
    live.refresh()
    match = live.match(unit(0, 0, 1, 0))
    assert match is not None
    assert match.label == "faq/parcel_lockers"


def test_nearest_is_the_similarity_to_the_labels_closest_phrasing() -> None:
    assert TRAINED.nearest(unit(1, 1, 0, 0), "faq/shipping_cost") == pytest.approx(1 / np.sqrt(2))
    assert TRAINED.nearest(unit(1, 1, 0, 0), "faq/shipping_cost", np.array([False, True])) == 0.0
    assert TRAINED.nearest(unit(1, 0, 0, 0), "faq/parcel_lockers") == 0.0


def test_nearest_counts_the_phrasings_in_the_files_trained_or_added() -> None:
    # "returns period" moved to parcel_lockers, next to a new phrasing; returns_window has none left.
    files = Files(
        faq("shipping_cost", "how much is delivery"),
        faq("returns_window"),
        faq("parcel_lockers", "parcel locker", "returns period"),
    )
    live = live_phrasings(files)
    assert live.nearest(unit(0, 1, 0, 0), "faq/returns_window") == 0.0
    assert live.nearest(unit(0, 1, 0, 0), "faq/parcel_lockers") == pytest.approx(1.0)
    assert live.nearest(unit(0, 0, 1, 1), "faq/parcel_lockers") == pytest.approx(1 / np.sqrt(2))
    assert live.nearest(unit(1, 0, 0, 1), "faq/shipping_cost") == pytest.approx(1 / np.sqrt(2))


def test_promote_puts_the_label_first_and_keeps_the_total_at_most_one() -> None:
    promoted = promote([("faq", 0.2), ("greet", 0.6), ("out_of_scope", 0.2)], "faq", 0.8)
    assert promoted[0] == ("faq", 0.8)
    assert [name for name, _ in promoted[1:]] == ["greet", "out_of_scope"]
    assert [c for _, c in promoted[1:]] == pytest.approx([0.15, 0.05])


def test_promote_keeps_a_higher_confidence_and_small_runners_up() -> None:
    assert promote([("faq", 0.9), ("greet", 0.05)], "faq", 0.6) == [("faq", 0.9), ("greet", 0.05)]
    assert promote([], "faq", 0.6) == [("faq", 0.6)]
