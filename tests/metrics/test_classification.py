import pytest

from evals.metrics.classification import label_statistics, parse_label

LABELS = ("negative", "neutral", "positive")


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("Positive.", "positive"),
        ("Sentiment: NEGATIVE", "negative"),
        ("It is neutral, not negative", "neutral"),
        ("The text has a positive sentiment, as", "positive"),
        ("positively", None),  # whole words only
        ("", None),
        ("I cannot tell.", None),
    ],
)
def test_earliest_label_word_wins(output: str, expected: str | None) -> None:
    assert parse_label(output, LABELS) == expected


def test_label_statistics_one_hot() -> None:
    assert label_statistics("positive", "positive", LABELS) == [0, 0, 1, 0, 0, 1, 0, 0, 1]
    assert label_statistics("neutral", None, LABELS) == [0, 0, 0, 0, 0, 0, 0, 1, 0]
