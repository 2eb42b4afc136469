"""The import contracts of pyproject.toml ([tool.importlinter]): the rooms are layered, and the pure
rooms (types, wire, providers) reach no network, server or storage library. Run here so that
`make test` (and any bare `pytest`) fails when a lower room imports a higher one."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter import api
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = str(ROOT / "pyproject.toml")
SESSION = {"root_packages": ["llmrelay"], "include_external_packages": True}


def test_the_contracts_are_kept() -> None:
    # the real command, as a developer runs it: its report names the offending import chain
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--config", PYPROJECT, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _contract(contract_id: str) -> dict[str, Any]:
    config = api.read_configuration(PYPROJECT)
    return next(c for c in config["contracts_options"] if c["id"] == contract_id)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("llmrelay", include_external_packages=True, cache_dir=None)


def _kept(
    contract: LayersContract | ForbiddenContract, graph: grimp.ImportGraph, importer: str, imported: str
) -> bool:
    # a copy each time: a check removes the contract's ignored imports from the graph it is given
    changed = copy.deepcopy(graph)
    changed.add_import(importer=importer, imported=imported, line_number=1, line_contents="import x")
    return contract.check(changed, verbose=False).kept


def test_a_lower_room_importing_a_higher_one_breaks_the_layers(graph: grimp.ImportGraph) -> None:
    options = _contract("rooms")
    contract = LayersContract(name=options["name"], session_options=SESSION, contract_options=options)
    assert contract.check(copy.deepcopy(graph), verbose=False).kept  # as it is
    # the contract proves nothing unless these break it: down is allowed, up and sideways are not
    assert _kept(contract, graph, "llmrelay.proxy.app", "llmrelay.types.chat")
    assert not _kept(contract, graph, "llmrelay.types.chat", "llmrelay.proxy.app")
    assert not _kept(contract, graph, "llmrelay.calls.call", "llmrelay.router.runner")
    assert not _kept(contract, graph, "llmrelay.providers.openai.adapter", "llmrelay.transport.http")
    # through a third module too: wire -> cost is allowed, so a cost module importing the router
    # puts the router on wire's path
    assert not _kept(contract, graph, "llmrelay.cost.pricing", "llmrelay.router.runner")


def test_no_import_is_let_up_a_layer() -> None:
    # the to-do of issue 12 is done: every import goes down (or stays in its room), with no
    # exception listed, so a new upward import has to be fixed rather than ignored
    assert "ignore_imports" not in _contract("rooms")


def test_the_key_gate_and_the_loop_thread_sit_where_the_contract_says(graph: grimp.ImportGraph) -> None:
    options = _contract("rooms")
    contract = LayersContract(name=options["name"], session_options=SESSION, contract_options=options)
    # key governance is below the web server: the gate may not reach back into it
    assert not _kept(contract, graph, "llmrelay.gate.key_gate", "llmrelay.proxy.state")
    # the loop thread is at the bottom: events (and any room) may use it; it may use none of them
    assert _kept(contract, graph, "llmrelay.events.callbacks", "llmrelay.loop_thread")
    assert not _kept(contract, graph, "llmrelay.loop_thread", "llmrelay.events.callbacks")


def test_the_pure_rooms_may_not_reach_a_network_library(graph: grimp.ImportGraph) -> None:
    options = _contract("pure")
    contract = ForbiddenContract(name=options["name"], session_options=SESSION, contract_options=options)
    assert contract.check(copy.deepcopy(graph), verbose=False).kept
    assert not _kept(contract, graph, "llmrelay.wire.sse", "asyncio")
    # transport/http.py imports aiohttp: a provider importing it reaches aiohttp
    assert not _kept(contract, graph, "llmrelay.providers.openai.adapter", "llmrelay.transport.http")
