"""checkov over every synthesized stack: zero failed checks beyond the ones checkov-skips.json lists
with a reason, and no entry there that no longer matches a failure.

checkov pins an old boto3, so it lives in its own virtualenv (.checkov-venv, made by tasks.sh)."""

from __future__ import annotations

import fnmatch
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKOV = ROOT / ".checkov-venv" / "bin" / "checkov"
SKIPS = json.loads((ROOT / "checkov-skips.json").read_text(encoding="utf-8"))["skips"]


@pytest.fixture(scope="session")
def failures(synth_dir: Path) -> list[tuple[str, str]]:
    """Every failed (check id, 'stack:resource') of one checkov run without skips."""
    assert CHECKOV.exists(), "checkov is not installed: run ./tasks.sh test (it makes .checkov-venv)"
    result = subprocess.run(
        [
            str(CHECKOV),
            "--framework",
            "terraform_json",
            "-d",
            str(synth_dir / "stacks"),
            "--quiet",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert reports and all(r.get("summary", {}).get("parsing_errors", 0) == 0 for r in reports)
    found = []
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            stack = Path(check["file_path"]).parent.name
            found.append((check["check_id"], f"{stack}:{check['resource'].removeprefix('resource.')}"))
    return found


def skipped(check: str, resource: str) -> bool:
    return any(
        entry["check"] == check and any(fnmatch.fnmatch(resource, pattern) for pattern in entry["resources"])
        for entry in SKIPS
    )


def test_checkov_finds_no_failure_beyond_the_listed_skips(failures):
    unexplained = sorted({f"{check} {resource}" for check, resource in failures if not skipped(check, resource)})
    assert unexplained == []


def test_every_listed_skip_still_matches_a_failure(failures):
    stale = [
        entry["check"]
        for entry in SKIPS
        if not any(
            check == entry["check"] and any(fnmatch.fnmatch(resource, p) for p in entry["resources"])
            for check, resource in failures
        )
    ]
    assert stale == []


def test_every_skip_gives_a_reason():
    for entry in SKIPS:
        assert len(entry["reason"]) > 40, entry["check"]


def test_checkov_scans_every_stack(synth_dir):
    stacks = {path.parent.name for path in (synth_dir / "stacks").glob("*/cdk.tf.json")}
    assert {"reviews-dev", "reviews-prod"} <= stacks
