"""`intake model`: triage's model learns from the site's corrections (intake.rules.retrain).

    intake model status      the model in use, what it was trained on, corrections kept
    intake model retrain     train on the corpus and the corrections; install if not worse
    intake model rollback    put back the model the last retrain replaced
"""

from __future__ import annotations

import argparse

from intake.cli.editors import Register, _opened
from intake.core.errors import ExitCode, IntakeError
from intake.core.runlock import run_lock


def cmd_model(args: argparse.Namespace) -> int:
    from intake.rules import retrain

    if args.step == "status":
        with _opened(args, readonly=True) as (settings, ledger):
            print("\n".join(retrain.status(settings, ledger)))
        return 0
    if args.step == "rollback":
        with _opened(args) as (settings, _ledger), run_lock(settings.data_dir):
            print(retrain.rollback(settings.data_dir) + "; the next run uses it")
        return 0
    with _opened(args) as (settings, ledger), run_lock(settings.data_dir):
        try:
            done = retrain.retrain(settings, ledger, force=args.force, k=args.folds)
        except ModuleNotFoundError as exc:
            raise IntakeError("training needs scikit-learn: pip install 'intake[train]' "
                              f"(missing: {exc.name})") from exc
    for note in done.notes:
        print(note)
    print("\n".join(done.comparison.lines()))
    if done.installed:
        forced = " (forced)" if not done.comparison.not_worse else ""
        print(f"installed{forced}: trained on the corpus and {done.corrections} "
              "correction(s); the next run uses it, and `intake model rollback` puts the "
              "previous one back")
        return 0
    print("not installed: the new model is worse on the same folds; --force installs it "
          "all the same")
    return int(ExitCode.NEEDS_ATTENTION)


def add_model_commands(add: Register) -> None:
    p = add("model", cmd_model, "triage's model: status, retrain on the corpus and the "
            "editors' corrections (installed only if not worse), rollback")
    p.add_argument("step", choices=("status", "retrain", "rollback"))
    p.add_argument("--force", action="store_true",
                   help="retrain: install the new model even if it scores worse")
    p.add_argument("--folds", type=int, default=5, metavar="K",
                   help="retrain: folds of the cross-validation (default 5)")
