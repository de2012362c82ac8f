"""Operations of a deployed (or offline) review system, from one command: ``python -m ops``.

Boto3 and ``aws_behaviour/`` only, nothing from ``modules/`` or ``offline/``: it reads what an environment has
through the AWS APIs an operator's role may call, so the same command works against AWS and against
``python -m offline serve`` (``AWS_ENDPOINT_URL``, which boto3 honours). Resources are found by the environment's
naming, ``{prefix}-{service}-{purpose}`` (``--prefix reviews-dev``).
"""
