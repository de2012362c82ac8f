#!/usr/bin/env python
"""Synthesize every environment of the review system to Terraform JSON under cdktf.out/.

Run by ``cdktf synth|diff|deploy`` (see cdktf.json) or directly: ``python main.py``.
A missing or invalid setting stops here, before anything is written, with a message naming it.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

from modules.config import ConfigError, load_delivery_settings, load_environments

ROOT = Path(__file__).resolve().parent
# Settings file and output folder; the cdktf CLI sets CDKTF_OUTDIR itself.
CONFIG_FILE = Path(os.environ.get("REVIEWS_ENVIRONMENTS", ROOT / "environments.json"))
OUTDIR = Path(os.environ.get("CDKTF_OUTDIR", ROOT / "cdktf.out"))


def build(outdir: Path) -> list[str]:
    """Validate all settings, then synthesize one stack per environment; return the stack names."""
    environments = load_environments(CONFIG_FILE)
    delivery_settings = load_delivery_settings(CONFIG_FILE)
    # Imported after validation: loading the provider bindings costs seconds and ~0.5 GB.
    from cdktf import App

    from modules.stack import ReviewsStack
    from modules.state_backend import StateBackendStack, parse_delivery

    # The bootstrap stack serves every environment of the file unless its settings say otherwise.
    delivery = parse_delivery(
        {
            "environments": [config.name for config in environments],
            "deploy_regions": sorted({config.region for config in environments}),
            **delivery_settings,
        },
        CONFIG_FILE.name,
    )
    app = App(outdir=str(outdir))
    stacks = [ReviewsStack(app, config).config.stack_name for config in environments]
    StateBackendStack(app, "reviews-state", config=delivery)
    app.synth()
    return [*stacks, "reviews-state"]


def summary(outdir: Path, stack: str) -> str:
    document = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text(encoding="utf-8"))
    counts = Counter({kind: len(items) for kind, items in document.get("resource", {}).items()})
    lines = [f"{stack}: {sum(counts.values())} resources, {len(counts)} types"]
    lines += [f"  {count:3d}  {kind}" for kind, count in sorted(counts.items())]
    return "\n".join(lines)


def main() -> int:
    outdir = OUTDIR
    try:
        stacks = build(outdir)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    for stack in stacks:
        print(summary(outdir, stack))
    return 0


if __name__ == "__main__":
    sys.exit(main())
