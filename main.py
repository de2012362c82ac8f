#!/usr/bin/env python
"""Synthesize every environment of the review system to Terraform JSON under cdktf.out/.

Run by ``cdktf synth|diff|deploy`` (see cdktf.json) or directly: ``python main.py``.

Exit codes, and what is written:
- 0: every stack synthesized; a summary of each is printed.
- 2: ``configuration error: ...`` on stderr: a setting of ``environments.json`` (an environment's or the
  ``delivery`` object's) is missing, unknown or invalid. Reported before the provider bindings load, so in well
  under a second.
- 1: ``synthesis error: ...`` on stderr: a construct refused what it was given, or cdktf failed. The settings
  were valid, so this is a bug in the code (or a rule the settings checks do not know yet), not a typo to fix
  in the file; never a traceback.
On 1 and 2 nothing is written: stacks are synthesized into a temporary folder beside the output folder and
moved into it only once all of them succeeded. Files of the output folder that synthesis does not write (the
bootstrap's local state beside its ``cdk.tf.json``, ``.terraform/`` after ``terraform init``) are kept.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from modules.config import ConfigError, EnvironmentConfig, load_environments
from modules.delivery_settings import DeliveryConfig, load_delivery

ROOT = Path(__file__).resolve().parent
# Settings file and output folder; the cdktf CLI sets CDKTF_OUTDIR itself.
JSII_QUIET = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
}
CONFIG_FILE = Path(os.environ.get("REVIEWS_ENVIRONMENTS", ROOT / "environments.json"))
OUTDIR = Path(os.environ.get("CDKTF_OUTDIR", ROOT / "cdktf.out"))
STATE_STACK = "reviews-state"


def load_settings(config_file: Path) -> tuple[list[EnvironmentConfig], DeliveryConfig]:
    """Every setting of ``config_file``, checked; :class:`ConfigError` names the first bad one.
    Imports nothing of cdktf."""
    environments = load_environments(config_file)
    return environments, load_delivery(config_file, environments)


def synthesize(environments: Sequence[EnvironmentConfig], delivery: DeliveryConfig, outdir: Path) -> list[str]:
    """One stack per environment plus the delivery bootstrap, written to ``outdir``; return the stack names."""
    # jsii prints an end-of-life banner for Node 20, on which the bindings work; whoever runs synthesis (the cdktf
    # CLI, the tests, the offline demo) sees Terraform's output, not that.
    for warning, value in JSII_QUIET.items():
        os.environ.setdefault(warning, value)
    # Imported only now: loading the provider bindings costs seconds and ~0.5 GB.
    from cdktf import App

    from modules.stack import ReviewsStack
    from modules.state_backend import StateBackendStack

    app = App(outdir=str(outdir))
    stacks = [ReviewsStack(app, config).config.stack_name for config in environments]
    StateBackendStack(app, STATE_STACK, config=delivery)
    app.synth()
    return [*stacks, STATE_STACK]


def build(outdir: Path) -> list[str]:
    """Validate all settings of :data:`CONFIG_FILE`, then synthesize straight into ``outdir``."""
    return synthesize(*load_settings(CONFIG_FILE), outdir)


def publish(staging: Path, outdir: Path) -> None:
    """Move every file synthesized into ``staging`` to the same place under ``outdir``, replacing what was there
    and keeping the files synthesis does not write."""
    # A first synthesis on a fresh clone has no output folder yet.
    outdir.mkdir(parents=True, exist_ok=True)
    # Sorted, a folder comes before what it holds.
    for source in sorted(staging.rglob("*")):
        target = outdir / source.relative_to(staging)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            os.replace(source, target)


def describe(error: Exception) -> str:
    """The message of ``error`` without jsii's JavaScript stack; the type too unless it is a plain refusal."""
    lines = [line for line in str(error).splitlines() if not line.lstrip().startswith("at ")]
    message = "\n".join(lines).strip() or repr(error)
    return message if type(error) in (ValueError, TypeError) else f"{type(error).__name__}: {message}"


def summary(outdir: Path, stack: str) -> str:
    document = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text(encoding="utf-8"))
    counts = Counter({kind: len(items) for kind, items in document.get("resource", {}).items()})
    lines = [f"{stack}: {sum(counts.values())} resources, {len(counts)} types"]
    lines += [f"  {count:3d}  {kind}" for kind, count in sorted(counts.items())]
    return "\n".join(lines)


def main() -> int:
    try:
        environments, delivery = load_settings(CONFIG_FILE)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    outdir = OUTDIR
    # Beside the output, so the files move into it by rename, on the same file system.
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", suffix=".partial", dir=outdir.parent))
    try:
        stacks = synthesize(environments, delivery, staging)
        publish(staging, outdir)
    except Exception as error:
        # Whatever a construct raised (ValueError, TypeError, a SubstitutionError, a jsii error): one line, no
        # traceback, and nothing written.
        print(f"synthesis error: {describe(error)}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for stack in stacks:
        print(summary(outdir, stack))
    return 0


if __name__ == "__main__":
    sys.exit(main())
