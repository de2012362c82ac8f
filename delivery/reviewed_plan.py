#!/usr/bin/env python3
"""Decide whether the plan reviewed in a pull request can be applied as it is after the merge.

It can when both hold:
  1. main's tree is the tree the pull request was planned from (no other change merged in between), so
     the plan was made from exactly the configuration being deployed;
  2. the state has not changed since (same lineage and serial as the state snapshot inside the plan file),
     which is also what `terraform apply PLANFILE` checks before refusing a "stale" plan.
Otherwise the workflow plans afresh and applies that plan instead.

Usage: reviewed_plan.py --plan tfplan --planned-tree SHA --tree SHA --state STATE_JSON
  (STATE_JSON is the output of `terraform state pull`; empty when the stack has no state yet)
Prints two lines for $GITHUB_OUTPUT: reuse=true|false and reason=<why>.
Exit codes: 0 decided; 1 the plan file cannot be read, with the reason on stderr; 2 wrong usage.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

# A Terraform plan file is a zip; "tfstate" is the prior state the plan was made against.
PLAN_STATE_MEMBER = "tfstate"


def _identity(state: Any) -> tuple[str, int] | None:
    if not isinstance(state, dict) or "lineage" not in state:
        return None
    return str(state["lineage"]), int(state.get("serial", 0))


def plan_state(plan: Path) -> tuple[str, int] | None:
    """(lineage, serial) of the state the plan was made against; None for a stack without state then."""
    with zipfile.ZipFile(plan) as archive:
        if PLAN_STATE_MEMBER not in archive.namelist():
            return None
        return _identity(json.loads(archive.read(PLAN_STATE_MEMBER)))


def decide(*, plan: Path, planned_tree: str, tree: str, state_text: str) -> tuple[bool, str]:
    if not planned_tree or planned_tree != tree:
        return False, "main's configuration differs from the one the pull request planned (another change merged first)"
    planned = plan_state(plan)
    current = _identity(json.loads(state_text)) if state_text.strip() else None
    if planned != current:
        return False, f"the state changed since the review ({_describe(planned)} then, {_describe(current)} now)"
    return True, "the reviewed plan is current: same configuration, same state"


def _describe(identity: tuple[str, int] | None) -> str:
    return "no state" if identity is None else f"serial {identity[1]} of lineage {identity[0]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", type=Path, required=True, help="the reviewed plan file")
    parser.add_argument("--planned-tree", required=True, help="git tree the pull request was planned from")
    parser.add_argument("--tree", required=True, help="git tree being deployed (HEAD^{tree} on main)")
    parser.add_argument("--state", type=Path, required=True, help="output of `terraform state pull`")
    args = parser.parse_args(argv)
    try:
        reuse, reason = decide(
            plan=args.plan,
            planned_tree=args.planned_tree.strip(),
            tree=args.tree.strip(),
            state_text=args.state.read_text(encoding="utf-8"),
        )
    except (OSError, zipfile.BadZipFile, json.JSONDecodeError, ValueError) as error:
        print(f"reviewed_plan: {error}", file=sys.stderr)
        return 1
    print(f"reuse={'true' if reuse else 'false'}")
    print(f"reason={reason}")
    print(reason, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
