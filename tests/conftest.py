"""Shared fixtures. Synthesis loads the AWS provider through jsii (~15-20 s, ~0.6 GB), so the whole
app is synthesized once per test session, into a temporary folder, and every test reads that."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import main  # noqa: E402  (needs ROOT on the path)

# Before any test loads the bindings: jsii's Node 20 banner would fill every captured stderr.
for _warning, _value in main.JSII_QUIET.items():
    os.environ.setdefault(_warning, _value)


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The app synthesized once per test run: xdist workers share the first one's output (a file lock keeps the
    others waiting meanwhile), so a worker that only reads the JSON never loads the bindings for it."""
    if worker_id == "master":
        outdir = tmp_path_factory.mktemp("cdktf.out")
        main.build(outdir)
        return outdir
    shared = tmp_path_factory.getbasetemp().parent / "cdktf.out"
    with FileLock(f"{shared}.lock"):
        if not (shared / "manifest.json").is_file():
            main.build(shared)
    return shared


@pytest.fixture(scope="session")
def synthesized(synth_dir: Path) -> dict[str, dict[str, Any]]:
    """Every stack's cdk.tf.json, by stack name."""
    return {
        path.parent.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((synth_dir / "stacks").glob("*/cdk.tf.json"))
    }


@pytest.fixture(scope="session")
def dev(synthesized: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return synthesized["reviews-dev"]


@pytest.fixture(scope="session")
def dev_config():
    """The settings the dev stack was synthesized from."""
    import main
    from modules.config import load_environments

    return next(e for e in load_environments(main.CONFIG_FILE) if e.name == "dev")


@pytest.fixture(scope="session")
def dev_stack_path(synth_dir: Path) -> Path:
    return synth_dir / "stacks" / "reviews-dev" / "cdk.tf.json"


class Live:
    """The offline system serving the web pages beside its API, for the browser tests."""

    def __init__(self, system, agent):
        self.system = system
        self.agent = agent
        self.site_url = system.server.url.rsplit("/", 1)[0]
        self.api_url = system.api_url

    def emails(self):
        return self.system.cloud.emails()

    def drain(self):
        return self.system.cloud.drain(120)


@pytest.fixture(scope="module")
def live(dev_stack_path):
    """Module-scoped: moto's state is per process, so one offline system runs at a time."""
    from offline.web import WebRoutes
    from tests.e2e import system_for

    routes = WebRoutes()
    with system_for(dev_stack_path, extra_routes=routes) as system:
        routes.bind(system)
        yield Live(system, system.create_agent("agent@example.com"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files with slow tests first (a stable sort, the same on every xdist worker): a long file started last
    would leave one worker running it alone at the end."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") else 1)
