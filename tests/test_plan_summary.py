"""The plan summarizer the workflows post to pull requests and drift issues.

Fixtures in tests/fixtures/plans/ are real `terraform show -json` output (Terraform 1.11.4, hashicorp/aws
5.100.0 against a moto server): create, update, replace (both orders), delete, no-op, a mix of all of
them, and a refresh-only plan with one queue modified and one deleted outside Terraform.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from delivery import plan_summary
from delivery.plan_summary import GITHUB_BODY_LIMIT, PlanError, parse_plan, render, render_error

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "plans"
SCRIPT = Path(plan_summary.__file__)


def fixture(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return document


def summary(name: str, **options: Any) -> str:
    return render(parse_plan(fixture(name)), stack="reviews-dev", **options)


def synthetic_plan(*changes: tuple[str, list[str]]) -> dict[str, Any]:
    """A plan in the documented format with one resource change per (address, actions)."""
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "resource_changes": [
            {
                "address": address,
                "mode": "managed",
                "type": address.split(".")[0],
                "name": address.split(".")[1].split("[")[0],
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": actions, "before": {}, "after": {}, "after_unknown": {}},
                **({"action_reason": "delete_because_no_resource_config"} if actions == ["delete"] else {}),
            }
            for address, actions in changes
        ],
        "applyable": True,
        "complete": True,
        "errored": False,
    }


def long_plan_text(lines: int) -> str:
    return "\n".join(
        f'  # aws_sqs_queue.queue[{n}] will be created\n  + name = "reviews-dev-queue-{n}"' for n in range(lines)
    )


def test_every_fixture_is_terraform_show_json_output() -> None:
    for path in sorted(FIXTURES.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["format_version"].startswith("1."), path.name
        assert document["terraform_version"] == "1.11.4", path.name


def test_a_create_plan_counts_every_new_resource_as_an_add() -> None:
    assert "**Plan:** 4 to add, 0 to change, 0 to destroy." in summary("create")


def test_a_create_plan_lists_the_new_resources_and_warns_of_nothing() -> None:
    text = summary("create")
    assert "- `aws_sqs_queue.analysis_dlq`" in text
    assert "[!CAUTION]" not in text


def test_a_data_source_read_during_apply_is_listed_with_its_reason_but_not_counted() -> None:
    text = summary("create")
    assert "- `data.aws_iam_policy_document.alarms_publish`: its configuration is known only after apply" in text
    assert "5 to add" not in text


def test_an_update_names_the_changed_attributes() -> None:
    text = summary("update")
    assert "**Plan:** 0 to add, 1 to change, 0 to destroy." in text
    assert "- `aws_sqs_queue.analysis_dlq`: `tags`, `tags_all`, `visibility_timeout_seconds`" in text


def test_an_update_shows_attribute_names_never_values() -> None:
    assert '"60"' not in summary("update") and " 60" not in summary("update")


def test_a_replacement_counts_as_one_add_and_one_destroy() -> None:
    assert "**Plan:** 2 to add, 0 to change, 2 to destroy. 2 of these are replacements" in summary("replace")


def test_both_replacement_orders_are_named_with_the_attribute_that_forces_them() -> None:
    text = summary("replace")
    assert (
        "| **replace (create, then destroy)** | `aws_sns_topic.alarms` | "
        "an attribute cannot be updated in place; forced by `name` |"
    ) in text
    assert "| **replace (destroy, then create)** | `aws_sqs_queue.thanks_dlq` |" in text


def test_a_delete_is_named_with_terraforms_reason() -> None:
    text = summary("delete")
    assert "**Plan:** 0 to add, 0 to change, 1 to destroy." in text
    assert "| **destroy** | `aws_sqs_queue.legacy_import` | no longer in the configuration |" in text


def test_replaced_and_destroyed_resources_are_named_before_every_other_change() -> None:
    text = summary("mixed")
    dangerous = [
        text.index(f"`{address}`")
        for address in ("aws_sns_topic.alarms", "aws_sqs_queue.thanks_dlq", "aws_sqs_queue.legacy_import")
    ]
    others = [text.index(f"`{address}`") for address in ("aws_sqs_queue.audit_dlq", "aws_sqs_queue.analysis_dlq")]
    assert max(dangerous) < min(others)
    assert text.index("[!CAUTION]") < min(dangerous)


def test_a_mixed_plan_counts_like_terraform() -> None:
    assert "**Plan:** 3 to add, 1 to change, 3 to destroy." in summary("mixed")


def test_a_no_op_plan_says_no_changes_and_lists_nothing() -> None:
    text = summary("no-op")
    assert "**No changes.**" in text
    assert "aws_sqs_queue" not in text


def test_changed_outputs_are_named() -> None:
    assert "**Outputs changing:** `alarm_topic_arn`" in summary("mixed")


def test_a_refresh_only_plan_reports_drift_with_deleted_resources_first() -> None:
    text = summary("drift", drift_mode=True)
    assert "**Drift:** 2 resource(s) changed outside Terraform (1 modified, 1 deleted)." in text
    assert text.index("**deleted** | `aws_sqs_queue.legacy_import`") < text.index(
        "modified | `aws_sqs_queue.analysis_dlq`"
    )


def test_drift_names_the_attributes_changed_outside_terraform_never_their_values() -> None:
    text = summary("drift", drift_mode=True)
    assert "| modified | `aws_sqs_queue.analysis_dlq` | `visibility_timeout_seconds` |" in text
    assert "300" not in text


def test_a_clean_refresh_only_plan_reports_no_drift() -> None:
    assert "**No drift.**" in summary("no-op", drift_mode=True)


def test_an_ordinary_plan_mentions_drift_found_while_refreshing() -> None:
    assert "2 object(s) changed outside Terraform" in summary("drift")


def test_the_hidden_marker_names_the_stack_so_a_workflow_finds_its_own_comment() -> None:
    assert summary("create").startswith("<!-- reviews-plan:reviews-dev -->\n")
    assert summary("drift", drift_mode=True).startswith("<!-- reviews-drift:reviews-dev -->\n")


def test_the_full_plan_is_folded_whole_when_it_fits() -> None:
    text = summary("create", plan_text="Terraform will perform the following actions:\n")
    assert "<details><summary>Full plan</summary>" in text
    assert "Terraform will perform the following actions:" in text
    assert "Cut to fit" not in text


@pytest.mark.parametrize("lines", [2_000, 5_000, 40_000])
@pytest.mark.parametrize("limit", [GITHUB_BODY_LIMIT, 20_000])
def test_output_longer_than_the_limit_is_cut_to_fit_it(lines: int, limit: int) -> None:
    plan_text = long_plan_text(lines)
    assert len(plan_text) > limit
    text = summary("mixed", plan_text=plan_text, run_url="https://github.com/o/r/actions/runs/1", limit=limit)
    assert len(text) <= limit
    assert text.rstrip().endswith("</details>")


def test_only_the_folded_plan_is_cut_never_the_summary() -> None:
    whole_summary = summary("mixed", run_url="https://github.com/o/r/actions/runs/1")
    text = summary("mixed", plan_text=long_plan_text(10_000), run_url="https://github.com/o/r/actions/runs/1")
    assert text.startswith(whole_summary)
    assert "Cut to fit GitHub's limit" in text


def test_the_cut_is_on_a_line_boundary_and_says_how_many_lines_are_shown() -> None:
    plan_text = long_plan_text(10_000)
    text = summary("mixed", plan_text=plan_text)
    total = plan_text.count("\n") + 1
    shown = [line for line in plan_text.split("\n") if line and line in text.split("\n")]
    assert "lines shown" in text and f"of {total} lines" in text
    assert f"_Cut to fit GitHub's limit: {len(shown)} of {total} lines shown" in text


def test_a_summary_over_the_limit_is_an_error_never_a_cut() -> None:
    plan = parse_plan(synthetic_plan(*((f"aws_sqs_queue.queue[{n}]", ["delete"]) for n in range(100))))
    with pytest.raises(PlanError, match="the summary alone is"):
        render(plan, stack="reviews-dev", limit=2_000)


def test_backticks_in_the_plan_text_cannot_close_the_code_fence() -> None:
    text = summary("create", plan_text='description = "```\\nnot markdown"\n')
    assert "````text\n" in text


def test_a_pipe_in_a_for_each_key_does_not_break_the_table() -> None:
    plan = parse_plan(synthetic_plan(('aws_sqs_queue.queue["a|b"]', ["delete"])))
    assert '| **destroy** | `aws_sqs_queue.queue["a\\|b"]` |' in render(plan, stack="reviews-dev")


def test_a_deposed_object_is_named_as_such() -> None:
    document = synthetic_plan(("aws_sqs_queue.queue", ["delete"]))
    document["resource_changes"][0]["deposed"] = "00000001"
    assert "`aws_sqs_queue.queue` (deposed object `00000001`)" in render(parse_plan(document), stack="reviews-dev")


def test_an_unknown_action_is_rejected_naming_the_resource() -> None:
    with pytest.raises(PlanError, match=r"aws_sqs_queue.queue: unknown actions \['explode'\]"):
        parse_plan(synthetic_plan(("aws_sqs_queue.queue", ["explode"])))


def test_a_document_that_is_not_a_plan_is_rejected() -> None:
    with pytest.raises(PlanError, match="no format_version"):
        parse_plan({"values": {}})


def test_a_future_major_format_version_is_rejected() -> None:
    with pytest.raises(PlanError, match=r"is not 1\.x"):
        parse_plan({**synthetic_plan(), "format_version": "2.0"})


def test_an_errored_plan_is_flagged_as_incomplete() -> None:
    plan = parse_plan({**synthetic_plan(("aws_sqs_queue.queue", ["create"])), "errored": True})
    assert "this plan is incomplete" in render(plan, stack="reviews-dev")


def test_a_failed_plan_comment_keeps_the_end_of_the_log_where_the_error_is() -> None:
    log = "\n".join(f"aws_sqs_queue.queue[{n}]: Refreshing state..." for n in range(5_000)) + "\nError: AccessDenied"
    text = render_error("reviews-dev", log, limit=10_000)
    assert text.startswith("<!-- reviews-plan:reviews-dev -->\n")
    assert "**The plan failed.**" in text
    assert "Error: AccessDenied" in text
    assert len(text) <= 10_000


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    # The workflows run the script with a bare Python before installing anything: so does this test.
    return subprocess.run([sys.executable, "-I", str(SCRIPT), *args], capture_output=True, text=True, check=False)


def test_the_cli_prints_the_markdown_and_exits_0() -> None:
    result = run_cli("--stack", "reviews-prod", "--plan-json", str(FIXTURES / "delete.json"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!-- reviews-plan:reviews-prod -->")


def test_the_cli_exits_1_with_the_reason_when_the_input_is_not_json(tmp_path: Path) -> None:
    broken = tmp_path / "plan.json"
    broken.write_text("Error: No configuration files", encoding="utf-8")
    result = run_cli("--stack", "reviews-dev", "--plan-json", str(broken))
    assert result.returncode == 1
    assert "not JSON" in result.stderr
    assert result.stdout == ""


def test_the_cli_exits_2_on_wrong_usage() -> None:
    assert run_cli("--plan-json", str(FIXTURES / "delete.json")).returncode == 2
