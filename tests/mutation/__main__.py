"""``python -m tests.mutation [--only NAME ...]``: a mutation run over the code that guards
privacy, access, metrics, validation and the layer specs (``make mutate``; not in CI).

Each target is one module and the tests meant to guard it. cosmic-ray mutates the
module one change at a time (a comparison's boundary, a ``not`` added or dropped,
``and``/``or`` swapped, a number moved by one, a loop skipped, …) in a detached
checkout of HEAD under ``var/mutation/``, so the working tree is never touched, and
runs those tests against each mutant. A mutant the tests fail on is killed; one they
pass on survived: a change of behaviour nobody would notice. The table gives the
score per target; ``var/mutation/NAME.survivors.txt`` lists every survivor as a diff.

Only operators that make one plausible mistake per site are kept (see
:data:`EXCLUDED_OPERATORS`): replacing ``<`` by ``>>`` or removing ``@dataclass``
tells nothing a test should have caught.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "var" / "mutation"


@dataclass(frozen=True)
class Target:
    name: str
    module: str
    tests: tuple[str, ...]
    timeout_s: float = 180.0


TARGETS = (
    Target("roles", "dashboard/auth/roles.py", ("tests/unit/test_access.py", "tests/unit/test_sessions.py")),
    Target(
        "auth_service",
        "dashboard/auth/service.py",
        ("tests/unit/test_sessions.py", "tests/unit/test_access.py"),
    ),
    Target(
        "privacy",
        "geodata/privacy.py",
        ("tests/unit/test_privacy.py", "tests/unit/test_access.py", "tests/unit/test_exports.py"),
    ),
    Target(
        "area_metrics",
        "geodata/area_metrics.py",
        ("tests/unit/test_figures_pinned.py", "tests/unit/test_metrics.py", "tests/unit/test_workspace.py"),
    ),
    Target("layer_specs", "layers/base.py", ("tests/unit/test_layers.py", "tests/unit/test_access.py")),
    Target("validation", "geodata/validate.py", ("tests/unit/test_validate.py",), timeout_s=240.0),
)

EXCLUDED_OPERATORS = (
    r"core/ReplaceComparisonOperator_(?!(Eq_NotEq|NotEq_Eq|Lt_LtE|LtE_Lt|Gt_GtE|GtE_Gt|Is_IsNot|IsNot_Is)$).*",
    r"core/ReplaceBinaryOperator_(?!(Add_Sub|Sub_Add|Mul_Div|Div_Mul)$).*",
    r"core/ReplaceUnaryOperator_(?!(Delete_Not|USub_UAdd)$).*",
    r"core/RemoveDecorator",
    r"core/VariableReplacer",
    r"core/ExceptionReplacer",
)


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _config(target: Target, checkout: Path) -> str:
    tests = " ".join(target.tests)
    excluded = ", ".join(json.dumps(p) for p in EXCLUDED_OPERATORS)
    return f"""[cosmic-ray]
module-path = "{target.module}"
timeout = {target.timeout_s}
excluded-modules = []
test-command = "{sys.executable} -m pytest -x -q -p no:cacheprovider -p no:randomly {tests}"

[cosmic-ray.distributor]
name = "local"

[cosmic-ray.filters.operators-filter]
exclude-operators = [{excluded}]
"""


def run(target: Target) -> dict[str, object]:
    """Mutate ``target.module`` in a fresh checkout of HEAD; the outcome counts."""
    checkout = WORK / f"checkout-{target.name}"
    if checkout.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT, check=False)
        shutil.rmtree(checkout, ignore_errors=True)
    subprocess.run(["git", "worktree", "add", "--detach", str(checkout), "HEAD"], cwd=ROOT, check=True)
    try:
        config, session = WORK / f"{target.name}.toml", WORK / f"{target.name}.sqlite"
        config.write_text(_config(target, checkout), encoding="utf-8")
        session.unlink(missing_ok=True)
        for command in (
            [_bin("cosmic-ray"), "init", str(config), str(session)],
            [_bin("cr-filter-operators"), str(session), str(config)],
            [_bin("cosmic-ray"), "exec", str(config), str(session)],
        ):
            subprocess.run(command, cwd=checkout, check=True, capture_output=True)
        return _summary(target, session)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT, check=False)


def _summary(target: Target, session: Path) -> dict[str, object]:
    db = sqlite3.connect(session)
    rows = db.execute(
        "SELECT s.operator_name, s.start_pos_row, r.test_outcome, r.worker_outcome, r.diff "
        "FROM mutation_specs s JOIN work_results r ON r.job_id = s.job_id"
    ).fetchall()
    rows = [r for r in rows if r[3] != "SKIPPED"]  # operators filtered out
    outcome = [str(r[2] or "").lower() for r in rows]
    killed = [r for r, o in zip(rows, outcome, strict=True) if o == "killed"]
    survived = [r for r, o in zip(rows, outcome, strict=True) if o == "survived"]
    other = [r for r, o in zip(rows, outcome, strict=True) if o not in ("killed", "survived")]
    lines = [f"{target.module}: {len(survived)} survivors of {len(rows)} mutants\n"]
    for operator, line, _, _, diff in sorted(survived, key=lambda r: r[1]):
        lines += [f"--- line {line}: {operator}", diff or "", ""]
    (WORK / f"{target.name}.survivors.txt").write_text("\n".join(lines), encoding="utf-8")
    judged = len(killed) + len(survived)
    return {
        "target": target.name,
        "module": target.module,
        "mutants": len(rows),
        "killed": len(killed),
        "survived": len(survived),
        "other": len(other),
        "score": round(len(killed) / judged, 3) if judged else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=[t.name for t in TARGETS])
    parser.add_argument("--report", action="store_true", help="summarise the sessions already run")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    results = []
    for target in TARGETS:
        if args.only and target.name not in args.only:
            continue
        started = time.perf_counter()
        session = WORK / f"{target.name}.sqlite"
        if args.report:
            if not session.exists():
                continue
            summary = _summary(target, session)
        else:
            summary = run(target)
        summary["minutes"] = round((time.perf_counter() - started) / 60, 1)
        results.append(summary)
        print(json.dumps(summary), flush=True)
    (WORK / "summary.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"\n{'target':14} {'module':28} {'mutants':>7} {'killed':>6} {'survived':>8} {'score':>6}")
    for r in results:
        print(
            f"{r['target']:14} {r['module']:28} {r['mutants']:>7} {r['killed']:>6} {r['survived']:>8} "
            f"{r['score'] if r['score'] is not None else '—':>6}"
        )
    print(f"\nsurvivors: {WORK}/NAME.survivors.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
