"""The classifier on the labelled set (tests/labelled/messages.yaml), through the pipeline.

The floors are below today's figures (README) so that a change to the signals that
makes triage worse fails here, while small trade-offs stay possible.
"""

from __future__ import annotations

from bench.triage_eval import evaluate


def test_precision_and_recall_on_the_labelled_set() -> None:
    result = evaluate()
    assert len(result.pairs) >= 50
    assert not [p for p in result.pairs if p[2] == "(lost)"]
    # Automatic mail: never a person's message ignored, never a robot answered.
    assert result.precision("ignored") == 1.0 and result.recall("ignored") == 1.0
    for label in result.labels:
        assert result.precision(label) >= 0.9, (label, result.report())
        assert result.recall(label) >= 0.75, (label, result.report())
    assert len(result.triaged) <= len(result.pairs) // 10, result.report()
