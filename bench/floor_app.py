"""The floor for the synthesis benchmark: one stack, the same AWS provider, one resource."""

from __future__ import annotations

import os
import sys

from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue


def main() -> int:
    app = App(outdir=os.environ.get("CDKTF_OUTDIR", "cdktf.out"))
    stack = TerraformStack(app, "floor")
    AwsProvider(stack, "aws", region="eu-west-1")
    SqsQueue(stack, "queue", name="floor")
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
