#!/usr/bin/env python3
"""List the environment stacks of a synthesized app, as JSON for a workflow matrix.

Usage: stacks.py CDKTF_OUT_DIR
Prints e.g. ["reviews-dev", "reviews-prod"]: every stack in cdktf.out/manifest.json except the delivery
bootstrap (reviews-state), which is applied once by hand.
Exit codes: 0 listed; 1 an environment stack keeps its state in a local file (a CI runner would plan
against empty state, so every resource would look new) or the folder holds no synthesized app, with the
reason on stderr; 2 wrong usage.
Standard library only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BOOTSTRAP_STACK = "reviews-state"


class StackError(ValueError):
    """The synthesized app cannot be planned in CI; the message says why and what to do."""


def environment_stacks(outdir: Path) -> list[str]:
    manifest_path = outdir / "manifest.json"
    if not manifest_path.is_file():
        raise StackError(f"{manifest_path} does not exist: run `pipenv run python main.py` first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    stacks = sorted(name for name in manifest.get("stacks", {}) if name != BOOTSTRAP_STACK)
    if not stacks:
        raise StackError(f"{manifest_path} lists no environment stack")
    for name in stacks:
        document = json.loads((outdir / manifest["stacks"][name]["synthesizedStackPath"]).read_text(encoding="utf-8"))
        backend = document.get("terraform", {}).get("backend", {})
        if "s3" not in backend:
            raise StackError(
                f"{name}: its state is in a {', '.join(backend) or 'default local'} backend, not S3; set "
                f"state_backend for it in environments.json after the one-time bootstrap (delivery/README.md)"
            )
        if backend["s3"].get("use_lockfile") is not True:
            raise StackError(f"{name}: its S3 backend must set use_lockfile, or two runs could write the state at once")
    return stacks


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: stacks.py CDKTF_OUT_DIR", file=sys.stderr)
        return 2
    try:
        print(json.dumps(environment_stacks(Path(argv[0]))))
    except (StackError, OSError, KeyError, json.JSONDecodeError) as error:
        print(f"stacks: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
