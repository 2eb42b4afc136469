"""Running simulators: in the current event loop (`start_simulator`), on a background thread
(`simulators_in_thread`, for sync code and for fixtures shared by sync and async tests), or from the
command line (`run_simulators_cli`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ssl
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from aiohttp import web

from llmrelay.testing.base import ProviderSimulator
from llmrelay.testing.faults import FaultControls
from llmrelay.testing.recorder import RequestLog

KINDS = (
    "openai",
    "anthropic",
    "gemini",
    "bedrock",
    "cohere",
    "replicate",
    "vertex",
    "ollama",
    "deepgram",
    "elevenlabs",
    "sagemaker",
    "watsonx",
    "voyage",
    "jina",
    "cloudflare",
    "snowflake",
    "oci",
)
DEFAULT_KEY = "sim-key"


def make_simulator(kind: str, **settings: Any) -> ProviderSimulator:
    """A new simulator of `kind` (one of KINDS)."""
    if kind == "openai":
        from llmrelay.testing.openai_sim import OpenAISimulator

        return OpenAISimulator(**settings)
    if kind == "anthropic":
        from llmrelay.testing.anthropic_sim import AnthropicSimulator

        return AnthropicSimulator(**settings)
    if kind == "gemini":
        from llmrelay.testing.gemini_sim import GeminiSimulator

        return GeminiSimulator(**settings)
    if kind == "bedrock":
        from llmrelay.testing.bedrock_sim import BedrockSimulator

        return BedrockSimulator(**settings)
    if kind == "cohere":
        from llmrelay.testing.cohere_sim import CohereSimulator

        return CohereSimulator(**settings)
    if kind == "replicate":
        from llmrelay.testing.replicate_sim import ReplicateSimulator

        return ReplicateSimulator(**settings)
    if kind == "vertex":
        from llmrelay.testing.vertex_sim import VertexSimulator

        return VertexSimulator(**settings)
    if kind == "ollama":
        from llmrelay.testing.ollama_sim import OllamaSimulator

        return OllamaSimulator(**settings)
    if kind == "deepgram":
        from llmrelay.testing.deepgram_sim import DeepgramSimulator

        return DeepgramSimulator(**settings)
    if kind == "elevenlabs":
        from llmrelay.testing.elevenlabs_sim import ElevenLabsSimulator

        return ElevenLabsSimulator(**settings)
    if kind == "sagemaker":
        from llmrelay.testing.sagemaker_sim import SageMakerSimulator

        return SageMakerSimulator(**settings)
    if kind == "watsonx":
        from llmrelay.testing.watsonx_sim import WatsonxSimulator

        return WatsonxSimulator(**settings)
    if kind == "cloudflare":
        from llmrelay.testing.cloudflare_sim import CloudflareSimulator

        return CloudflareSimulator(**settings)
    if kind == "snowflake":
        from llmrelay.testing.snowflake_sim import SnowflakeSimulator

        return SnowflakeSimulator(**settings)
    if kind == "oci":
        from llmrelay.testing.oci_sim import OCISimulator

        return OCISimulator(**settings)
    if kind == "voyage":
        from llmrelay.testing.search_sim import VoyageSimulator

        return VoyageSimulator(**settings)
    if kind == "jina":
        from llmrelay.testing.search_sim import JinaSimulator

        return JinaSimulator(**settings)
    raise ValueError(f"unknown simulator {kind!r}; choose from {', '.join(KINDS)}")


class RunningSimulator:
    """A served simulator: where it listens and its controls.

    base_url  the server root (http://host:port)
    api_base  what LiteLLM-style configs call api_base for this provider (OpenAI: .../v1,
              Anthropic, Bedrock and Cohere: the root, Gemini: .../v1beta)
    api_key   a key it accepts
    """

    def __init__(self, simulator: ProviderSimulator, base_url: str) -> None:
        self.simulator = simulator
        self.kind = simulator.kind
        self.base_url = base_url
        self.api_base = base_url + simulator.api_base_path

    @property
    def api_key(self) -> str:
        keys = self.simulator.settings.api_keys
        return sorted(keys)[0] if keys else DEFAULT_KEY

    @property
    def requests(self) -> RequestLog:
        return self.simulator.requests

    @property
    def faults(self) -> FaultControls:
        return self.simulator.faults

    def sdk_kwargs(self) -> dict[str, str]:
        """`api_base` and `api_key` for an llmrelay call aimed at this simulator (for Bedrock the key
        is a Bedrock API key, and the region is given too)."""
        if self.kind == "sagemaker":
            from llmrelay.testing.sagemaker_sim import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

            # SageMaker takes no API key: SigV4 only
            return {"api_base": self.api_base, "aws_region_name": REGION, "aws_access_key_id": ACCESS_KEY_ID,
                    "aws_secret_access_key": SECRET_ACCESS_KEY}  # fmt: skip
        if self.kind == "oci":
            from llmrelay.testing.oci_sim import OCISimulator

            assert isinstance(self.simulator, OCISimulator)
            # OCI takes no API key: each request is signed with the user's API signing key
            return {"api_base": self.api_base, **self.simulator.default_settings()}
        kwargs = {"api_base": self.api_base, "api_key": self.api_key}
        if self.kind == "bedrock":
            from llmrelay.testing.bedrock_sim import REGION

            kwargs["aws_region_name"] = REGION
        if self.kind == "watsonx":
            from llmrelay.testing.watsonx_sim import IAM_PATH

            # the key is an IBM Cloud API key, exchanged at the simulator's IAM endpoint
            kwargs["watsonx_iam_url"] = self.base_url + IAM_PATH
            kwargs["project_id"] = "sim-project"
        return kwargs

    def configure(self, **changes: Any) -> None:
        self.simulator.configure(**changes)

    def reset(self) -> None:
        self.simulator.reset()

    def __repr__(self) -> str:
        return f"RunningSimulator({self.kind} at {self.api_base})"


class SimulatorGroup:
    """Several simulators on one server (one port): `group.openai`, `group.anthropic`, `group.gemini`,
    `group.bedrock`, `group.cohere`, `group.replicate`, `group.vertex`, `group.ollama`,
    `group.deepgram`, `group.elevenlabs`, `group.sagemaker`, `group.watsonx`, `group.voyage`,
    `group.jina`, `group.cloudflare`, `group.snowflake`."""

    def __init__(self, members: dict[str, RunningSimulator], base_url: str) -> None:
        self.members = members
        self.base_url = base_url

    def __getattr__(self, kind: str) -> RunningSimulator:
        try:
            return self.members[kind]
        except KeyError:
            raise AttributeError(f"this group serves no {kind!r} simulator") from None

    def __getitem__(self, kind: str) -> RunningSimulator:
        return self.members[kind]

    def reset(self) -> None:
        for member in self.members.values():
            member.reset()


def build_app(simulators: Sequence[ProviderSimulator]) -> web.Application:
    app = web.Application(client_max_size=64 * 1024**2)
    for simulator in simulators:
        simulator.add_to(app)
    return app


async def _serve(
    app: web.Application, host: str, port: int, ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True, ssl_context=ssl_context)
    await site.start()
    bound_port = runner.addresses[0][1]
    shown = f"[{host}]" if ":" in host else host
    scheme = "https" if ssl_context is not None else "http"
    return runner, f"{scheme}://{shown}:{bound_port}"


def _group(simulators: Sequence[ProviderSimulator], base_url: str) -> SimulatorGroup:
    return SimulatorGroup({s.kind: RunningSimulator(s, base_url) for s in simulators}, base_url)


@contextlib.asynccontextmanager
async def start_simulator(
    kind: str, host: str = "127.0.0.1", port: int = 0, **settings: Any
) -> AsyncIterator[RunningSimulator]:
    """Serve one simulator in the running loop; `port=0` picks a free port."""
    simulator = make_simulator(kind, **settings)
    runner, base_url = await _serve(build_app([simulator]), host, port)
    try:
        yield RunningSimulator(simulator, base_url)
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def start_simulators(
    kinds: Sequence[str] = KINDS, host: str = "127.0.0.1", port: int = 0, **settings: Any
) -> AsyncIterator[SimulatorGroup]:
    """Serve several simulators on one port (their paths do not overlap)."""
    simulators = [make_simulator(k, **settings) for k in kinds]
    runner, base_url = await _serve(build_app(simulators), host, port)
    try:
        yield _group(simulators, base_url)
    finally:
        await runner.cleanup()


class SimulatorThread:
    """Simulators served by their own event loop on a daemon thread.

    Sync code (and the sync SDK, whose calls block the caller) can then talk to them; their controls
    (faults, requests) are thread-safe."""

    def __init__(
        self, kinds: Sequence[str] = KINDS, host: str = "127.0.0.1", port: int = 0,
        ssl_context: ssl.SSLContext | None = None, **settings: Any,
    ) -> None:  # fmt: skip
        """`ssl_context`: serve over TLS with it (a server context; one that requires client
        certificates makes the simulators an mTLS upstream)."""
        self._simulators = [make_simulator(k, **settings) for k in kinds]
        self._ssl_context = ssl_context
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.group: SimulatorGroup | None = None

    def start(self) -> SimulatorGroup:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="llmrelay-simulators", daemon=True)
        self._thread.start()
        app = build_app(self._simulators)
        future = asyncio.run_coroutine_threadsafe(
            _serve(app, self._host, self._port, self._ssl_context), loop
        )
        self._runner, base_url = future.result(timeout=30)
        self.group = _group(self._simulators, base_url)
        return self.group

    def stop(self) -> None:
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = self._runner = None

    def __enter__(self) -> SimulatorGroup:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def simulators_in_thread(
    kinds: Sequence[str] = KINDS, host: str = "127.0.0.1", port: int = 0, **settings: Any
) -> Iterator[SimulatorGroup]:
    """`with simulators_in_thread() as sims: sims.openai.api_base ...`"""
    with SimulatorThread(kinds, host, port, **settings) as group:
        yield group


# ---- command line
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llmrelay sim",
        description="Serve the provider simulators (" + ", ".join(KINDS) + ").",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (default: 8765)")
    parser.add_argument("--provider", choices=("all", *KINDS), default="all")
    parser.add_argument(
        "--api-key", action="append", dest="api_keys", help="accept only this key (repeatable)"
    )
    parser.add_argument(
        "--chunks", type=int, default=None, help="content deltas per stream (default: per word)"
    )
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between stream events")
    parser.add_argument("--record-limit", type=int, default=1000, help="requests kept for /_sim/*/requests")
    return parser


async def _serve_until_cancelled(args: argparse.Namespace) -> None:
    kinds = KINDS if args.provider == "all" else (args.provider,)
    settings: dict[str, Any] = {
        "api_keys": args.api_keys,
        "chunks": args.chunks,
        "chunk_delay": args.chunk_delay,
        "record_limit": args.record_limit,
    }
    simulators = [make_simulator(k, **settings) for k in kinds]
    runner, base_url = await _serve(build_app(simulators), args.host, args.port)
    group = _group(simulators, base_url)
    try:
        print(f"llmrelay provider simulators at {base_url}", flush=True)
        for kind in kinds:
            print(f"  {kind:<10} api_base={group[kind].api_base}", flush=True)
        keys = ", ".join(args.api_keys) if args.api_keys else "any non-empty key"
        if "bedrock" in kinds:
            from llmrelay.testing.bedrock_sim import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

            print(
                f"  bedrock SigV4: aws_access_key_id={ACCESS_KEY_ID} "
                f"aws_secret_access_key={SECRET_ACCESS_KEY} aws_region_name={REGION} "
                "(or an accepted key, below, as a Bedrock API key)",
                flush=True,
            )
        print(f"  keys: {keys}; fault header: x-sim-fault; controls: {base_url}/_sim/<provider>/", flush=True)
        if "vertex" in kinds:
            static = ", ".join(args.api_keys) if args.api_keys else "sim-key"
            print(
                f"  vertex takes bearer tokens: {static}, or tokens from POST {base_url}/token for service "
                "accounts registered with VertexSimulator.register_service_account",
                flush=True,
            )
        if "watsonx" in kinds:
            print(
                f"  watsonx takes bearer tokens from POST {base_url}/identity/token (any accepted key as "
                "apikey; watsonx_iam_url= points the SDK there), and project_id=<any>",
                flush=True,
            )
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _fast_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (the `proxy` extra brings it): a faster loop for a benchmark's upstream."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run_simulators_cli(argv: Sequence[str] | None = None) -> int:
    """`llmrelay sim` / `python -m llmrelay.testing`: serve until interrupted."""
    args = _parser().parse_args(argv)
    try:
        with asyncio.Runner(loop_factory=_fast_loop_factory()) as runner:
            runner.run(_serve_until_cancelled(args))
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0
