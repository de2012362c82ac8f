#!/usr/bin/env python3
"""Regenerate tests/fixtures/plans/*.json: real `terraform show -json` output, made by Terraform and the
hashicorp/aws provider against a moto server, so the summarizer is tested on what Terraform writes.

Not part of the test run. Needs: terraform (>= 1.10) on PATH, the hashicorp/aws provider reachable by
`terraform init` (the registry, or a filesystem mirror named in TF_CLI_CONFIG_FILE), boto3, and a moto
server (`pip install "moto[server]"`, then `moto_server -H 127.0.0.1 -p 5055`).

Usage: make_plan_fixtures.py [--endpoint http://127.0.0.1:5055] [--provider-version 5.100.0] OUT_DIR

One state goes through: create (a data source read during apply included), no-op, then plans from that
state of an update, a delete, both kinds of replacement, all of them together, and finally a
refresh-only plan after one queue was modified and another deleted behind Terraform's back.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

REGION = "eu-west-1"


def queue(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "message_retention_seconds": 345600,
        "visibility_timeout_seconds": 30,
        "tags": {"project": "reviews"},
    }


BASE: dict[str, Any] = {
    "aws_sqs_queue": {
        "analysis_dlq": queue("reviews-dev-analysis-dlq"),
        "legacy_import": queue("reviews-dev-legacy-import"),
        "thanks_dlq": queue("reviews-dev-thanks-dlq"),
    },
    "aws_sns_topic": {"alarms": {"name": "reviews-dev-operations-alarms", "tags": {"project": "reviews"}}},
}
# Depends on a value known only after apply while the topic is new or replaced: a deferred read.
DATA = {
    "aws_iam_policy_document": {
        "alarms_publish": {
            "statement": [
                {
                    "actions": ["sns:Publish"],
                    "resources": ["${aws_sns_topic.alarms.arn}"],
                    "principals": [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}],
                }
            ]
        }
    }
}
OUTPUTS = {"alarm_topic_arn": {"value": "${aws_sns_topic.alarms.arn}"}}


def update(resources: dict[str, Any]) -> None:
    resources["aws_sqs_queue"]["analysis_dlq"]["visibility_timeout_seconds"] = 60
    resources["aws_sqs_queue"]["analysis_dlq"]["tags"]["owner"] = "analysis"


def delete(resources: dict[str, Any]) -> None:
    del resources["aws_sqs_queue"]["legacy_import"]


def replace(resources: dict[str, Any]) -> None:
    # A queue's name cannot change in place: destroy, then create.
    resources["aws_sqs_queue"]["thanks_dlq"]["name"] = "reviews-dev-thank-you-dlq"
    # With create_before_destroy: create, then destroy.
    resources["aws_sns_topic"]["alarms"]["name"] = "reviews-dev-ops-alarms"
    resources["aws_sns_topic"]["alarms"]["lifecycle"] = {"create_before_destroy": True}


def mixed(resources: dict[str, Any]) -> None:
    update(resources)
    delete(resources)
    replace(resources)
    resources["aws_sqs_queue"]["audit_dlq"] = queue("reviews-dev-audit-dlq")


VARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "update": update,
    "delete": delete,
    "replace": replace,
    "mixed": mixed,
}


class Workspace:
    def __init__(self, directory: Path, endpoint: str, provider_version: str):
        self.directory = directory
        self.endpoint = endpoint
        self.provider_version = provider_version
        self.env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "TF_IN_AUTOMATION": "1"}

    def configure(self, resources: dict[str, Any]) -> None:
        document = {
            "terraform": {
                "required_providers": {"aws": {"source": "hashicorp/aws", "version": self.provider_version}},
                "backend": {"local": {"path": "terraform.tfstate"}},
            },
            "provider": {
                "aws": [
                    {
                        "region": REGION,
                        "skip_credentials_validation": True,
                        "skip_metadata_api_check": True,
                        "skip_requesting_account_id": True,
                        "endpoints": [{service: self.endpoint for service in ("sqs", "sns", "sts", "iam")}],
                    }
                ]
            },
            "resource": resources,
            "data": DATA,
            "output": OUTPUTS,
        }
        (self.directory / "main.tf.json").write_text(json.dumps(document, indent=1), encoding="utf-8")

    def terraform(self, *args: str, accept: tuple[int, ...] = (0,)) -> str:
        result = subprocess.run(
            ["terraform", *args], cwd=self.directory, env=self.env, capture_output=True, text=True, check=False
        )
        if result.returncode not in accept:
            raise SystemExit(f"terraform {' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}")
        return result.stdout

    def plan(self, out: Path, name: str, *extra: str) -> None:
        self.terraform("plan", "-input=false", "-no-color", "-out=tfplan", *extra)
        document = json.loads(self.terraform("show", "-json", "tfplan"))
        (out / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(name, [(c["address"], c["change"]["actions"]) for c in document.get("resource_changes", [])])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--endpoint", default="http://127.0.0.1:5055")
    parser.add_argument("--provider-version", default="5.100.0")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        work = Workspace(Path(directory), args.endpoint, args.provider_version)
        work.configure(BASE)
        work.terraform("init", "-input=false", "-no-color")
        work.plan(args.out, "create")
        work.terraform("apply", "-input=false", "-no-color", "tfplan")
        work.plan(args.out, "no-op")
        for name, change in VARIANTS.items():
            resources = copy.deepcopy(BASE)
            change(resources)
            work.configure(resources)
            work.plan(args.out, name)

        work.configure(BASE)
        clients = {"endpoint_url": args.endpoint, "region_name": REGION}
        sqs = boto3.client("sqs", aws_access_key_id="test", aws_secret_access_key="test", **clients)
        changed = sqs.get_queue_url(QueueName="reviews-dev-analysis-dlq")["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=changed, Attributes={"VisibilityTimeout": "300"})
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="reviews-dev-legacy-import")["QueueUrl"])
        work.plan(args.out, "drift", "-refresh-only")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
