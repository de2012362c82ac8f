"""main.py: a bad setting exits 2 before the provider bindings load, a construct error exits 1 without a traceback,
and on either failure nothing is written; on success the stacks move into CDKTF_OUTDIR, keeping the files
synthesis does not write."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

import main

ROOT = Path(__file__).resolve().parent.parent
PROVIDER = "cdktf_cdktf_provider_aws"


def settings_file(tmp_path: Path, settings: Any) -> Path:
    path = tmp_path / "environments.json"
    path.write_text(json.dumps(settings), encoding="utf-8")
    return path


def run_main(tmp_path: Path, settings: Any, *python_options: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "REVIEWS_ENVIRONMENTS": str(settings_file(tmp_path, settings)),
        "CDKTF_OUTDIR": str(tmp_path / "out"),
    }
    return subprocess.run(
        [str(ROOT / ".venv/bin/python"), *python_options, str(ROOT / "main.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


# --- settings errors: exit 2, before the bindings, nothing written ----------------------------------------------


def test_a_bad_environment_setting_exits_2_naming_it_and_writes_nothing(tmp_path: Path) -> None:
    result = run_main(tmp_path, {"environments": {"prod": {"allowed_origin": "https://-bad-.example"}}})
    assert result.returncode == 2
    assert result.stderr.startswith(
        "configuration error: environments.json: prod.allowed_origin: 'https://-bad-.example' must be one origin"
    )
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["environments.json"]


def test_a_bad_delivery_setting_exits_2_naming_it_and_writes_nothing(tmp_path: Path) -> None:
    result = run_main(tmp_path, {"environments": {"dev": {}}, "delivery": {"noncurrent_version_days": 0}})
    assert result.returncode == 2
    assert result.stderr == (
        "configuration error: environments.json: delivery.noncurrent_version_days: "
        "0 must be a whole number from 1 to 3650\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["environments.json"]


def test_a_settings_error_leaves_an_existing_output_as_it_was(tmp_path: Path) -> None:
    stack = tmp_path / "out" / "stacks" / "reviews-dev"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text("{}")
    before = tree(tmp_path / "out")
    result = run_main(tmp_path, {"environments": {"dev": {"sender_email": "ops@"}}})
    assert result.returncode == 2
    assert tree(tmp_path / "out") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["environments.json", "out"]


@pytest.mark.parametrize(
    "settings",
    [
        {"environments": {"dev": {"case_timeout_seconds": "3600"}}},
        {"environments": {"dev": {}}, "delivery": {"state_buket": "reviews-state"}},
    ],
    ids=["environment", "delivery"],
)
def test_a_settings_error_is_reported_without_importing_the_provider_bindings(
    tmp_path: Path, settings: dict[str, Any]
) -> None:
    # -X importtime lists every module imported, on stderr.
    result = run_main(tmp_path, settings, "-X", "importtime")
    assert result.returncode == 2 and "configuration error: " in result.stderr
    imported = [
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    ]
    assert "modules.config" in imported
    assert [name for name in imported if name.split(".")[0] in (PROVIDER, "cdktf", "jsii", "constructs")] == []


# --- construct errors: exit 1, one line, nothing written ----------------------------------------------------------


def construct_error(kind: str) -> Exception:
    from jsii.errors import JSIIError

    from modules.common import SubstitutionError

    return {
        "ValueError": ValueError("FrontendApi: allowed_origin 'https://-bad-.example' must be one origin"),
        "TypeError": TypeError("Audit audit: bus must be a CloudwatchEventBus, got str"),
        "SubstitutionError": SubstitutionError("asl/thank-you.asl.json: ${Unknown} is provided by nobody"),
        "JSIIError": JSIIError("Error: Validation failed\n    at App.synth (/tmp/jsii/cdktf/lib/app.js:1:1)"),
    }[kind]


@pytest.mark.parametrize(
    ("kind", "printed"),
    [
        ("ValueError", "FrontendApi: allowed_origin 'https://-bad-.example' must be one origin"),
        ("TypeError", "Audit audit: bus must be a CloudwatchEventBus, got str"),
        ("SubstitutionError", "SubstitutionError: asl/thank-you.asl.json: ${Unknown} is provided by nobody"),
        ("JSIIError", "JSIIError: Error: Validation failed"),
    ],
)
def test_a_construct_error_exits_1_with_its_message_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kind: str, printed: str
) -> None:
    import modules.stack

    error = construct_error(kind)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise error

    # A construct half-way through the stack, so earlier constructs were really built.
    monkeypatch.setattr(modules.stack, "EventBus", refuse)
    monkeypatch.setattr(main, "CONFIG_FILE", settings_file(tmp_path, {"environments": {"dev": {}}}))
    monkeypatch.setattr(main, "OUTDIR", tmp_path / "out")
    assert main.main() == 1
    captured = capsys.readouterr()
    assert captured.err == f"synthesis error: {printed}\n"
    assert captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["environments.json"], "no output, no temporary folder left"


def test_a_construct_error_leaves_an_existing_output_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import modules.stack

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ValueError("EventBus: archive_retention_days 0 must be from 1 to 3650")

    outdir = tmp_path / "out"
    (outdir / "stacks" / "reviews-dev").mkdir(parents=True)
    (outdir / "stacks" / "reviews-dev" / "cdk.tf.json").write_text('{"old": true}')
    (outdir / "manifest.json").write_text("{}")
    before = tree(outdir)
    monkeypatch.setattr(modules.stack, "EventBus", refuse)
    monkeypatch.setattr(main, "CONFIG_FILE", settings_file(tmp_path, {"environments": {"dev": {}}}))
    monkeypatch.setattr(main, "OUTDIR", outdir)
    assert main.main() == 1
    assert "Traceback" not in capsys.readouterr().err
    assert tree(outdir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["environments.json", "out"]


# --- success: moved into place -------------------------------------------------------------------------------------


def test_publishing_replaces_synthesized_files_and_keeps_the_others(tmp_path: Path) -> None:
    staging, outdir = tmp_path / "staging", tmp_path / "out"
    (staging / "stacks" / "reviews-dev").mkdir(parents=True)
    (staging / "stacks" / "reviews-dev" / "cdk.tf.json").write_text("new")
    (staging / "manifest.json").write_text("manifest")
    (outdir / "stacks" / "reviews-dev" / ".terraform").mkdir(parents=True)
    (outdir / "stacks" / "reviews-dev" / "cdk.tf.json").write_text("old")
    (outdir / "stacks" / "reviews-dev" / "terraform.reviews-dev.tfstate").write_text("state")
    (outdir / "stacks" / "reviews-dev" / ".terraform" / "terraform.tfstate").write_text("backend")
    main.publish(staging, outdir)
    assert tree(outdir) == {
        "manifest.json": b"manifest",
        "stacks/reviews-dev/.terraform/terraform.tfstate": b"backend",
        "stacks/reviews-dev/cdk.tf.json": b"new",
        "stacks/reviews-dev/terraform.reviews-dev.tfstate": b"state",
    }


def test_publishing_into_a_folder_that_does_not_exist_yet_creates_it(tmp_path: Path) -> None:
    staging, outdir = tmp_path / "staging", tmp_path / "fresh" / "cdktf.out"
    (staging / "stacks" / "reviews-dev").mkdir(parents=True)
    (staging / "stacks" / "reviews-dev" / "cdk.tf.json").write_text("new")
    (staging / "manifest.json").write_text("manifest")
    main.publish(staging, outdir)
    assert tree(outdir) == {"manifest.json": b"manifest", "stacks/reviews-dev/cdk.tf.json": b"new"}


def test_the_jsii_stack_is_left_out_of_a_message() -> None:
    from jsii.errors import JSIIError

    error = JSIIError("Error: Validation failed\n    at App.synth (app.js:1:1)\n    at run (kernel.js:2:2)")
    assert main.describe(error) == "JSIIError: Error: Validation failed"
    assert main.describe(ValueError("Workflow x: asl 'y' names no file")) == "Workflow x: asl 'y' names no file"


@pytest.mark.slow
def test_a_synthesis_moves_every_stack_and_the_manifest_into_cdktf_outdir_keeping_local_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outdir = tmp_path / "out"
    state = outdir / "stacks" / main.STATE_STACK / f"terraform.{main.STATE_STACK}.tfstate"
    state.parent.mkdir(parents=True)
    state.write_text('{"serial": 7}')
    monkeypatch.setattr(main, "CONFIG_FILE", settings_file(tmp_path, {"environments": {"dev": {}}}))
    monkeypatch.setattr(main, "OUTDIR", outdir)
    assert main.main() == 0
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["stacks"]) == ["reviews-dev", main.STATE_STACK]
    for stack in manifest["stacks"].values():
        assert (outdir / stack["synthesizedStackPath"]).is_file()
    assert state.read_text() == '{"serial": 7}', "the bootstrap's local state beside cdk.tf.json is kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["environments.json", "out"], "no temporary folder left"
    assert capsys.readouterr().out.startswith("reviews-dev: ")
