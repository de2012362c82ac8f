#!/usr/bin/env python3
"""Summarize a Terraform plan as Markdown for a pull-request comment or a drift issue.

Reads the output of ``terraform show -json PLANFILE`` (format documented at
https://developer.hashicorp.com/terraform/internals/json-format) and writes Markdown: a hidden marker the
workflows use to find their own comment, the counts Terraform prints (add / change / destroy), every
replaced or destroyed resource named first with the reason Terraform gives, the other changes, and the
full plan text folded. The whole is at most ``--limit`` characters (GitHub's 65,536 for a comment or an
issue body): only the folded full plan is ever cut, never the summary.

Usage:
  plan_summary.py --stack reviews-dev --plan-json plan.json [--plan-text plan.txt] [--run-url URL]
  plan_summary.py --stack reviews-dev --plan-json drift.json --drift      (a refresh-only plan)
  plan_summary.py --stack reviews-dev --error-log plan.log                (the plan itself failed)
  --github-output "$GITHUB_OUTPUT" also appends changes=true|false for the workflow's next jobs.

Exit codes: 0 the Markdown was written; 1 the input cannot be summarized (not plan JSON, an unknown
action, or a summary that alone exceeds the limit), with the reason on stderr; 2 wrong usage.

Only attribute names are ever shown from the JSON, never values, so sensitive values stay out of
comments; the folded text is Terraform's own rendering, which already hides them.
Standard library only: the workflows run it with the runner's Python before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# https://docs.github.com/en/rest/issues/comments: "body is too long (maximum is 65536 characters)".
GITHUB_BODY_LIMIT = 65536
MARKER = "<!-- reviews-plan:{stack} -->"
DRIFT_MARKER = "<!-- reviews-drift:{stack} -->"

# Every action list `terraform show -json` writes in a resource change, and what it means here.
KINDS: Mapping[tuple[str, ...], str] = {
    ("no-op",): "no-op",
    ("create",): "create",
    ("read",): "read",
    ("update",): "update",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("delete",): "delete",
    ("forget",): "forget",
}
# Plain-words reasons for Terraform's action_reason values.
REASONS: Mapping[str, str] = {
    "replace_because_tainted": "the object is tainted",
    "replace_because_cannot_update": "an attribute cannot be updated in place",
    "replace_by_request": "replacement was requested (-replace)",
    "replace_by_triggers": "replace_triggered_by changed",
    "delete_because_no_resource_config": "no longer in the configuration",
    "delete_because_no_moved_target": "the moved block's target is gone",
    "delete_because_no_module": "its module is no longer in the configuration",
    "delete_because_wrong_repetition": "count or for_each was added or removed",
    "delete_because_count_index": "count no longer includes this index",
    "delete_because_each_key": "for_each no longer includes this key",
    "read_because_config_unknown": "its configuration is known only after apply",
    "read_because_dependency_pending": "a dependency has changes pending",
    "read_because_check_nested": "a check block reads it",
}
DANGEROUS = ("replace", "delete")
OTHER = ("create", "update", "read", "import", "move", "forget")
HEADINGS = {
    "create": "Create",
    "update": "Update in place",
    "read": "Read during apply",
    "import": "Import",
    "move": "Move",
    "forget": "Remove from state (the object is kept)",
}
# Beyond this many, the list of other changes is folded (still whole: it is part of the summary).
FOLD_OTHER_AFTER = 30


class PlanError(ValueError):
    """The input is not a plan this script understands; the message says why."""


@dataclass(frozen=True)
class Change:
    """One resource instance of the plan, reduced to what a reviewer needs."""

    address: str
    kind: str
    order: str
    reason: str | None
    attributes: tuple[str, ...]
    deposed: str | None = None
    previous_address: str | None = None

    @property
    def label(self) -> str:
        label = f"`{_cell(self.address)}`"
        if self.deposed:
            label += f" (deposed object `{self.deposed}`)"
        if self.previous_address:
            label += f" (moved from `{_cell(self.previous_address)}`)"
        return label


@dataclass(frozen=True)
class Plan:
    """What the summary is made of."""

    changes: tuple[Change, ...]
    drift: tuple[Change, ...]
    outputs_changed: tuple[str, ...]
    complete: bool
    applyable: bool
    errored: bool

    def count(self, *kinds: str) -> int:
        return sum(1 for change in self.changes if change.kind in kinds)

    @property
    def adds(self) -> int:
        return self.count("create", "replace")

    @property
    def updates(self) -> int:
        return self.count("update")

    @property
    def destroys(self) -> int:
        return self.count("delete", "replace")

    @property
    def has_changes(self) -> bool:
        return any(change.kind != "read" for change in self.changes) or bool(self.outputs_changed)


def parse_plan(document: Any) -> Plan:
    """Read the parts of ``terraform show -json`` output the summary needs; :class:`PlanError` otherwise."""
    if not isinstance(document, Mapping) or "format_version" not in document:
        raise PlanError("not the output of `terraform show -json PLANFILE`: no format_version")
    major = str(document["format_version"]).split(".")[0]
    if major != "1":
        raise PlanError(f"format_version {document['format_version']!r} is not 1.x, the version this script reads")
    changes = tuple(
        change for change in (_change(raw) for raw in _list(document, "resource_changes")) if change.kind != "no-op"
    )
    drift = tuple(
        change for change in (_change(raw) for raw in _list(document, "resource_drift")) if change.kind != "no-op"
    )
    outputs = document.get("output_changes") or {}
    if not isinstance(outputs, Mapping):
        raise PlanError("output_changes must be an object")
    outputs_changed = tuple(
        sorted(name for name, change in outputs.items() if list(change.get("actions", [])) != ["no-op"])
    )
    return Plan(
        changes=changes,
        drift=drift,
        outputs_changed=outputs_changed,
        complete=bool(document.get("complete", True)),
        applyable=bool(document.get("applyable", True)),
        errored=bool(document.get("errored", False)),
    )


def _list(document: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = document.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise PlanError(f"{key} must be a list of resource changes")
    return value


def _change(raw: Mapping[str, Any]) -> Change:
    address = raw.get("address")
    change = raw.get("change")
    if not isinstance(address, str) or not isinstance(change, Mapping):
        raise PlanError(f"a resource change needs an address and a change: {json.dumps(raw)[:200]}")
    actions = tuple(change.get("actions") or ())
    kind = KINDS.get(actions)
    if kind is None:
        raise PlanError(f"{address}: unknown actions {list(actions)}; known: {[list(key) for key in KINDS]}")
    order = ""
    if kind == "replace":
        order = "create, then destroy" if actions[0] == "create" else "destroy, then create"
    previous = raw.get("previous_address")
    if kind == "no-op" and change.get("importing"):
        kind = "import"
    elif kind == "no-op" and previous:
        kind = "move"
    reason = REASONS.get(raw.get("action_reason", ""), raw.get("action_reason"))
    if kind == "replace":
        attributes = tuple(_path(path) for path in change.get("replace_paths") or ())
    elif kind == "update":
        attributes = _changed_attributes(change)
    else:
        attributes = ()
    return Change(
        address=address,
        kind=kind,
        order=order,
        reason=reason,
        attributes=attributes,
        deposed=raw.get("deposed"),
        previous_address=previous if isinstance(previous, str) else None,
    )


def _path(path: Sequence[Any]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _changed_attributes(change: Mapping[str, Any]) -> tuple[str, ...]:
    """Names of the top-level attributes whose values differ or become known only after apply."""
    before, after, unknown = (_object(change.get(key)) for key in ("before", "after", "after_unknown"))
    names = {name for name in set(before) | set(after) if before.get(name) != after.get(name)}
    names |= {name for name, value in unknown.items() if value is True}
    return tuple(sorted(names))


def _object(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else empty: a plan has ``before`` null on a create, ``after`` on a delete."""
    return value if isinstance(value, Mapping) else {}


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``, so the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _names(attributes: Iterable[str]) -> str:
    return ", ".join(f"`{_cell(name)}`" for name in attributes)


def counts_line(plan: Plan) -> str:
    """Terraform's own closing line: 'Plan: 1 to add, 0 to change, 1 to destroy.' (with imports and forgets)."""
    if not plan.has_changes:
        return "**No changes.** The infrastructure matches the configuration."
    parts = []
    if plan.count("import"):
        parts.append(f"{plan.count('import')} to import")
    parts += [f"{plan.adds} to add", f"{plan.updates} to change", f"{plan.destroys} to destroy"]
    if plan.count("forget"):
        parts.append(f"{plan.count('forget')} to forget")
    line = f"**Plan:** {', '.join(parts)}."
    if plan.count("replace"):
        line += f" {plan.count('replace')} of these are replacements (destroyed and created again)."
    return line


def dangerous_section(changes: Sequence[Change]) -> list[str]:
    dangerous = sorted(
        (change for change in changes if change.kind in DANGEROUS),
        key=lambda change: (DANGEROUS.index(change.kind), change.address),
    )
    if not dangerous:
        return []
    lines = [
        "",
        f"> [!CAUTION]\n> **{len(dangerous)} resource(s) will be replaced or destroyed.** Read these before approving.",
        "",
        "| Action | Resource | Why |",
        "| --- | --- | --- |",
    ]
    for change in dangerous:
        action = f"replace ({change.order})" if change.kind == "replace" else "destroy"
        why = change.reason or ""
        if change.attributes:
            why += ("; " if why else "") + f"forced by {_names(change.attributes)}"
        lines.append(f"| **{action}** | {change.label} | {_cell(why)} |")
    return lines


def other_section(changes: Sequence[Change]) -> list[str]:
    others = [change for change in changes if change.kind in OTHER]
    if not others:
        return []
    body: list[str] = []
    for kind in OTHER:
        group = [change for change in others if change.kind == kind]
        if not group:
            continue
        body += ["", f"**{HEADINGS[kind]}** ({len(group)})", ""]
        for change in group:
            detail = f": {_names(change.attributes)}" if change.attributes else ""
            if kind == "read" and change.reason:
                detail = f": {change.reason}"
            body.append(f"- {change.label}{detail}")
    if len(others) <= FOLD_OTHER_AFTER:
        return body
    return ["", f"<details><summary>Other changes ({len(others)})</summary>", *body, "", "</details>"]


def drift_section(drift: Sequence[Change]) -> list[str]:
    if not drift:
        return ["", "**No drift.** Every object matches the last applied state."]
    deleted = sum(1 for change in drift if change.kind == "delete")
    lines = [
        "",
        f"**Drift:** {len(drift)} resource(s) changed outside Terraform "
        f"({len(drift) - deleted} modified, {deleted} deleted).",
        "",
        "| Drift | Resource | Attributes |",
        "| --- | --- | --- |",
    ]
    for change in sorted(drift, key=lambda change: (change.kind != "delete", change.address)):
        what = "**deleted**" if change.kind == "delete" else "modified"
        lines.append(f"| {what} | {change.label} | {_names(change.attributes)} |")
    return lines


def render(
    plan: Plan,
    *,
    stack: str,
    plan_text: str | None = None,
    run_url: str | None = None,
    drift_mode: bool = False,
    limit: int = GITHUB_BODY_LIMIT,
) -> str:
    """The Markdown for one stack: the summary whole, then the full plan folded and cut to fit ``limit``."""
    marker = (DRIFT_MARKER if drift_mode else MARKER).format(stack=stack)
    title = "Drift check" if drift_mode else "Terraform plan"
    lines = [marker, f"### {title}: `{stack}`"]
    if plan.errored:
        lines += ["", "> [!WARNING]", "> Terraform reported errors while planning: this plan is incomplete."]
    elif not plan.complete:
        lines += ["", "> [!NOTE]", "> Some changes are deferred: another plan and apply will be needed after this one."]
    if drift_mode:
        lines += drift_section(plan.drift)
    else:
        lines += ["", counts_line(plan)]
        lines += dangerous_section(plan.changes)
        lines += other_section(plan.changes)
        if plan.outputs_changed:
            lines += ["", f"**Outputs changing:** {_names(plan.outputs_changed)}"]
        if plan.drift:
            lines += [
                "",
                f"_{len(plan.drift)} object(s) changed outside Terraform since the last apply; "
                "the drift check reports them._",
            ]
    if run_url:
        lines += ["", f"[Workflow run and plan artifact]({run_url})"]
    summary = "\n".join(lines) + "\n"
    return summary + _folded(summary, "Full plan", plan_text, run_url, limit)


def render_error(stack: str, log: str, *, run_url: str | None = None, limit: int = GITHUB_BODY_LIMIT) -> str:
    """The comment for a plan that failed: the marker, a headline, and the end of the log folded."""
    lines = [MARKER.format(stack=stack), f"### Terraform plan: `{stack}`", "", "> [!CAUTION]", "> **The plan failed.**"]
    if run_url:
        lines += ["", f"[Workflow run]({run_url})"]
    summary = "\n".join(lines) + "\n"
    return summary + _folded(summary, "Terraform output", log, run_url, limit, keep="end")


def _folded(summary: str, title: str, text: str | None, run_url: str | None, limit: int, keep: str = "start") -> str:
    """``text`` in a folded code block, cut on a line boundary so that summary + block <= ``limit``."""
    if len(summary) > limit:
        raise PlanError(
            f"the summary alone is {len(summary)} characters, over the limit of {limit}; "
            "it is never cut, so read the plan in the workflow artifact"
        )
    if not text:
        return ""
    fence = _fence(text)
    text = text.rstrip("\n")

    def block(body: str, note: str) -> str:
        return f"\n<details><summary>{title}</summary>\n\n{note}{fence}text\n{body}\n{fence}\n</details>\n"

    whole = block(text, "")
    if len(summary) + len(whole) <= limit:
        return whole
    lines = text.split("\n")
    where = (
        f"the whole output is in the [workflow run]({run_url})"
        if run_url
        else "the whole output is in the workflow run"
    )
    # The note's digits can only shrink as lines are dropped, so sizing with the full count is safe.
    note_template = "_Cut to fit GitHub's limit: {shown} of {total} lines shown; {where}._\n\n"
    budget = (
        limit - len(summary) - len(block("", note_template.format(shown=len(lines), total=len(lines), where=where)))
    )
    if budget <= 0:
        return ""
    kept: list[str] = []
    used = 0
    for line in lines if keep == "start" else reversed(lines):
        cost = len(line) + (1 if kept else 0)
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    if keep == "end":
        kept.reverse()
    note = note_template.format(shown=len(kept), total=len(lines), where=where)
    return block("\n".join(kept), note)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the stack name, e.g. reviews-dev (goes into the marker)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--plan-json", type=Path, help="output of `terraform show -json PLANFILE` ('-' for stdin)")
    source.add_argument("--error-log", type=Path, help="output of a `terraform` command that failed")
    parser.add_argument("--plan-text", type=Path, help="output of `terraform show -no-color PLANFILE`, folded")
    parser.add_argument("--drift", action="store_true", help="summarize a refresh-only plan's drift")
    parser.add_argument("--run-url", help="link to the workflow run holding the plan artifact")
    parser.add_argument("--limit", type=int, default=GITHUB_BODY_LIMIT, help="most characters to write")
    parser.add_argument("--output", type=Path, help="write here instead of stdout")
    parser.add_argument(
        "--github-output",
        type=Path,
        help="append changes=true|false here (a step's $GITHUB_OUTPUT): whether the plan changes anything, "
        "or for --drift whether anything drifted",
    )
    args = parser.parse_args(argv)
    if args.limit < 1000:
        parser.error("--limit must be at least 1000 characters")
    changed: bool | None = None
    try:
        if args.error_log:
            markdown = render_error(args.stack, _read(args.error_log), run_url=args.run_url, limit=args.limit)
        else:
            try:
                document = json.loads(_read(args.plan_json))
            except json.JSONDecodeError as error:
                raise PlanError(f"{args.plan_json}: not JSON: {error}") from error
            plan = parse_plan(document)
            changed = bool(plan.drift) if args.drift else plan.has_changes
            markdown = render(
                plan,
                stack=args.stack,
                plan_text=_read(args.plan_text) if args.plan_text else None,
                run_url=args.run_url,
                drift_mode=args.drift,
                limit=args.limit,
            )
        if args.output:
            args.output.write_text(markdown, encoding="utf-8")
        else:
            sys.stdout.write(markdown)
        if args.github_output and changed is not None:
            with args.github_output.open("a", encoding="utf-8") as output:
                output.write(f"changes={'true' if changed else 'false'}\n")
    except (PlanError, OSError) as error:
        print(f"plan_summary: {error}", file=sys.stderr)
        return 1
    return 0


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    return path.read_text(encoding="utf-8", errors="replace")


if __name__ == "__main__":
    sys.exit(main())
