"""The evidence suites in their fast form (the full runs: docs/figures.md, "Evidence")."""

from __future__ import annotations

import os

import pytest

from bench import fault_suite, input_sweep
from bench.crash_suite import run
from tests.conftest import CORPUS
from tests.dovecot import dovecot_binary


@pytest.fixture
def _needs_dovecot() -> None:
    if dovecot_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("Dovecot is required in CI (.ci/run installs dovecot-imapd)")
        pytest.skip("Dovecot is not installed: apt-get install dovecot-imapd")


@pytest.mark.usefixtures("_needs_dovecot")
def test_sigkill_at_random_moments_loses_nothing_and_repeats_only_the_window() -> None:
    outcome = run(n=15, trials=16, seed=11)
    print(outcome.report())
    assert outcome.trials == 16
    assert outcome.rows == outcome.draft_folders == outcome.submissions >= 15
    assert outcome.distinct_authors == outcome.submissions
    assert (outcome.unprocessed, outcome.unmarked, outcome.pending_mail,
            outcome.left_in_inbox, outcome.missing_acks) == (0, 0, 0, 0, 0)
    assert outcome.duplicates <= outcome.duplicates_allowed
    assert outcome.ok


@pytest.mark.usefixtures("_needs_dovecot")
def test_server_faults_lose_nothing_and_each_is_named_in_the_log() -> None:
    results = fault_suite.run(n=5, cuts=2)
    print(fault_suite.report(results, 5, 0))
    assert len(results) == 10
    for result in results:
        assert result.ok, result.row()
    ran = [r for r in results if not r.skipped]
    assert [r.fault_code for r in ran] == [r.expected_code for r in ran]
    assert sum(r.acks for r in ran) + sum(r.failed_mail for r in ran) == sum(
        r.submissions for r in ran)


@pytest.mark.skipif(not (CORPUS / "emails").is_dir(), reason=f"corpus not found at {CORPUS}; "
                    "set INTAKE_CORPUS to the shared corpus folder")
def test_every_corpus_file_is_processed_ignored_quarantined_or_refused() -> None:
    sweep = input_sweep.run(CORPUS, limit=120)
    print(sweep.report(120))
    assert sweep.crashes == [] and sweep.hangs == []
    assert sweep.emails > 150 and sweep.documents > 100
    # Every message ended in a final state, none half-done.
    assert sum(sweep.states.values()) == sweep.messages
    assert set(sweep.states) <= {"processed", "ignored", "quarantined", "duplicate"}
    assert sweep.states["processed"] > 100 and sweep.states["ignored"] > 5
    assert sweep.acknowledgements >= sweep.states["processed"] - 10  # revisions: one each
    assert sweep.converted + sum(sweep.refusals.values()) == sweep.documents
    assert sweep.converted > 100
    # Each refusal and quarantine says why, in words an editor can act on.
    assert all(len(reason) > 20 for reason in [*sweep.refusals, *sweep.quarantine_reasons])
