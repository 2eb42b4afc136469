"""The gateway's command-line flags, as data: every option of LiteLLM's `litellm` command (its
spelling, its environment variable) and llmrelay's own, each with what llmrelay does with it.

A flag is SERVED (llmrelay does what LiteLLM does), NO_EFFECT (a no-op in LiteLLM too, or a choice
llmrelay has made once for all: accepted with a one-line note) or REFUSED (llmrelay lacks it: the
command stops with a one-line message saying what is missing, never runs on as if it had it).
docs/cli.md walks the same table."""

from __future__ import annotations

import argparse
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class Status(enum.Enum):
    SERVED = "served"
    NO_EFFECT = "no effect"
    REFUSED = "refused"


class Kind(enum.Enum):
    SWITCH = "switch"  # present or not
    TEXT = "text"
    INT = "int"
    FLOAT = "float"


@dataclass(frozen=True, slots=True)
class Flag:
    # the first spelling; LiteLLM's when LiteLLM has the option (`--num_workers`)
    name: str
    kind: Kind
    status: Status
    # SERVED: what it does; NO_EFFECT / REFUSED: why, and what to use instead
    text: str
    # more spellings: llmrelay's dash form of an underscore name is added on its own
    aliases: tuple[str, ...] = ()
    # the environment variable that gives the default (LiteLLM's, where it reads one)
    env: str | None = None
    default: object = None

    @property
    def dest(self) -> str:
        return self.name.lstrip("-").replace("-", "_")

    def spellings(self) -> list[str]:
        names = [self.name, *self.aliases]
        dashed = self.name.replace("_", "-")
        if dashed != self.name and dashed not in names:
            names.append(dashed)
        return names


S, N, R = Status.SERVED, Status.NO_EFFECT, Status.REFUSED
SW, TXT, INT, FLT = Kind.SWITCH, Kind.TEXT, Kind.INT, Kind.FLOAT
NO_DB_AUTH = "llmrelay connects to its database with the credentials in database_url"
NO_PRISMA = "llmrelay has no Prisma: its schema is migrated at start and by `llmrelay db upgrade`"
GRANIAN_ONLY = "llmrelay always serves with Granian"

# Order: as `llmrelay --help` lists them.
FLAGS: tuple[Flag, ...] = (
    # -- what to serve
    Flag("--config", TXT, S, "LiteLLM-style config.yaml to serve", aliases=("-c",)),
    Flag("--model", TXT, S, "quick start: serve this one model, e.g. openai/gpt-4o (also as gpt-4o)",
         aliases=("-m",)),
    Flag("--api_key", TXT, S, "quick start: the provider key (else the provider's usual variable)"),
    Flag("--api_base", TXT, S, "quick start: the provider's base URL"),
    Flag("--api_version", TXT, S, "quick start: the Azure OpenAI api-version"),
    Flag("--alias", TXT, S, "quick start: one more name the model is served under"),
    Flag("--headers", TXT, S, 'quick start: extra headers for the provider, as JSON ({"X-A": "b"})'),
    Flag("--drop_params", SW, S, "drop request parameters the provider does not support (as "
         "litellm_settings.drop_params)"),
    Flag("--temperature", FLT, S, "quick start: the model's default temperature (a request's own "
         "value wins), as litellm_params.temperature"),
    Flag("--max_tokens", INT, S, "quick start: the model's default max_tokens (a request's own value "
         "wins), as litellm_params.max_tokens"),
    Flag("--request_timeout", FLT, S, "seconds a provider call may take (as "
         "litellm_settings.request_timeout)"),
    Flag("--demo", SW, S, "serve the built-in demo config over the provider simulators (no keys)"),
    Flag("--data-dir", TXT, S, "where the embedded store keeps virtual keys and spend when no "
         "database_url is set (as general_settings.data_dir; else LLMRELAY_DATA_DIR, else "
         "~/.local/share/llmrelay)", aliases=("--data_dir",)),
    # -- where and how
    Flag("--host", TXT, S, "address to listen on", env="HOST", default="0.0.0.0"),
    Flag("--port", INT, S, "port to listen on", env="PORT", default=4000),
    Flag("--num_workers", INT, S, "worker processes", aliases=("--workers",), env="NUM_WORKERS", default=1),
    Flag("--granian_threads", INT, S, "runtime threads per worker process", env="GRANIAN_RUNTIME_THREADS"),
    Flag("--ssl_certfile_path", TXT, S, "TLS certificate (PEM); with --ssl_keyfile_path serves HTTPS",
         aliases=("--ssl_certfile", "--ssl-certfile"), env="SSL_CERTFILE_PATH"),
    Flag("--ssl_keyfile_path", TXT, S, "TLS private key (PEM)", aliases=("--ssl_keyfile", "--ssl-keyfile"),
         env="SSL_KEYFILE_PATH"),
    Flag("--http2", SW, S, "with TLS: offer HTTP/2 besides HTTP/1.1 (ALPN); Granian then does not close "
         "a connection that sends no request (docs/security.md)", env="LLMRELAY_HTTP2"),
    Flag("--debug", SW, S, "debug logs and an access log", env="DEBUG"),
    Flag("--detailed_debug", SW, S, "as --debug", env="DETAILED_DEBUG"),
    # -- one-shot commands
    Flag("--validate_config", SW, S, "check the config (--config) and exit: 0 when it can be served"),
    Flag("--skip_server_startup", SW, S, "check the config, migrate the database, and exit"),
    Flag("--health", SW, S, "ask a running gateway (--host, --port) for /health and print the answer"),
    Flag("--test", SW, S, "send a test chat completion (whole and streamed) to a running gateway"),
    Flag("--run_granian", SW, N, GRANIAN_ONLY),
    Flag("--run_gunicorn", SW, N, GRANIAN_ONLY + "; workers are set with --num_workers"),
    Flag("--run_hypercorn", SW, N, GRANIAN_ONLY),
    Flag("--local", SW, N, "a no-op in LiteLLM too"),
    Flag("--telemetry", TXT, N, "llmrelay sends no telemetry"),
    Flag("--enforce_prisma_migration_check", SW, N, "the gateway always stops when its database "
         "cannot be migrated (deprecated in LiteLLM too)"),
    Flag("--use_v2_migration_resolver", SW, N, NO_PRISMA + " (deprecated in LiteLLM too)"),
    # -- refused: llmrelay does not have these
    Flag("--max_budget", FLT, R, "no proxy-wide budget: give virtual keys, users or teams a max_budget"),
    Flag("--add_key", TXT, R, "no secrets file: pass the provider key with --api_key or its "
         "environment variable"),
    Flag("--save", SW, R, "no saved model config: write a config.yaml and pass --config"),
    Flag("--use_queue", SW, R, "no request queue (Celery workers)"),
    Flag("--test_async", SW, R, "no request queue (/queue/request): use --test"),
    Flag("--num_requests", INT, R, "only used by --test_async, which llmrelay does not have"),
    Flag("--add_function_to_prompt", SW, R, "functions are not rewritten into the prompt for models "
         "without tool support"),
    Flag("--setup", SW, R, "no setup wizard: see docs/config.md, or `llmrelay --model ...`"),
    Flag("--log_config", TXT, R, "no logging config file: use --debug and litellm_settings.json_logs"),
    Flag("--ciphers", TXT, R, "Granian picks the TLS ciphers (TLS 1.3 and up)"),
    Flag("--iam_token_db_auth", SW, R, NO_DB_AUTH + " (no AWS RDS IAM tokens)"),
    Flag("--azure_postgresql_auth", SW, R, NO_DB_AUTH + " (no Microsoft Entra ID tokens)"),
    Flag("--use_prisma_db_push", SW, R, NO_PRISMA),
    Flag("--use_legacy_migration_resolver", SW, R, NO_PRISMA),
    Flag("--keepalive_timeout", INT, S, "seconds an idle kept-alive connection stays open (as "
         "general_settings.connection_idle_timeout_seconds)", env="KEEPALIVE_TIMEOUT"),
    Flag("--timeout_worker_healthcheck", INT, R, "a uvicorn setting: Granian restarts dead workers "
         "itself", env="TIMEOUT_WORKER_HEALTHCHECK"),
    Flag("--max_requests_before_restart", INT, R, "workers are not recycled after N requests",
         env="MAX_REQUESTS_BEFORE_RESTART"),
    Flag("--max_requests_before_restart_jitter", INT, R, "workers are not recycled after N requests",
         env="MAX_REQUESTS_BEFORE_RESTART_JITTER"),
    Flag("--limit_concurrency", INT, R, "no cap on concurrent connections with 503 beyond it",
         env="LIMIT_CONCURRENCY"),
    Flag("--reload", SW, R, "no hot reload: restart the gateway"),
    Flag("--prometheus_metrics_port", INT, R, "metrics are served at /metrics on the gateway's own "
         "port (litellm_settings.callbacks: [prometheus])", env="PROMETHEUS_METRICS_PORT"),
)  # fmt: skip

TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "f", "no", "n", "off"})


class FlagError(ValueError):
    """A flag or its environment variable cannot be used; the message is one line for the user."""


def by_dest() -> dict[str, Flag]:
    return {flag.dest: flag for flag in FLAGS}


def add_flags(parser: argparse.ArgumentParser, flags: Sequence[Flag] = FLAGS) -> None:
    """Every flag, every spelling. Defaults are left None here: `environment_defaults` fills them,
    so a flag given on the command line can be told from one that came from the environment."""
    for flag in flags:
        shown = flag.text if flag.status is Status.SERVED else f"[{flag.status.value}] {flag.text}"
        if flag.env:
            shown += f" (env {flag.env})"
        if flag.default is not None:
            shown += f" (default {flag.default})"
        shown = shown.replace("%", "%%")
        if flag.kind is Kind.SWITCH:
            parser.add_argument(*flag.spellings(), dest=flag.dest, action="store_true", default=None,
                                help=shown)  # fmt: skip
        else:
            convert = {Kind.TEXT: str, Kind.INT: int, Kind.FLOAT: float}[flag.kind]
            parser.add_argument(*flag.spellings(), dest=flag.dest, type=convert, default=None, help=shown)


def given_on_command_line(ns: argparse.Namespace) -> list[Flag]:
    return [flag for flag in FLAGS if getattr(ns, flag.dest, None) is not None]


def environment_defaults(ns: argparse.Namespace, environ: Mapping[str, str]) -> list[str]:
    """Fill what the command line left unset from LiteLLM's environment variables, then from the
    defaults. Returns the notes to print: a refused setting that came from the environment is said
    (it would stop a LiteLLM deployment's environment from working at all if refused; it changes
    nothing llmrelay does). Raises FlagError for a value that cannot be read."""
    notes: list[str] = []
    for flag in FLAGS:
        if getattr(ns, flag.dest, None) is not None:
            continue
        value: object = flag.default
        raw = environ.get(flag.env) if flag.env else None
        if raw is not None and flag.env:
            if flag.status is Status.REFUSED:
                if raw.strip():
                    notes.append(f"note: environment variable {flag.env} has no effect: {flag.text}")
                continue
            value = _from_environment(flag, flag.env, raw)
        if flag.kind is Kind.SWITCH and value is None:
            value = False
        setattr(ns, flag.dest, value)
    return notes


def _from_environment(flag: Flag, env: str, raw: str) -> object:
    text = raw.strip()
    if flag.kind is Kind.SWITCH:
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise FlagError(f"environment variable {env}: expected true or false, got {raw!r}")
    if flag.kind is Kind.TEXT:
        return text or flag.default
    try:
        return int(text) if flag.kind is Kind.INT else float(text)
    except ValueError:
        kind = "a whole number" if flag.kind is Kind.INT else "a number"
        raise FlagError(f"environment variable {env}: expected {kind}, got {raw!r}") from None


def refusals_and_notes(given: Sequence[Flag]) -> tuple[list[str], list[str]]:
    """For the flags given on the command line: the refusal messages and the notes."""
    refused = [f"{f.name} is not supported: {f.text}" for f in given if f.status is Status.REFUSED]
    notes = [f"note: {f.name} has no effect: {f.text}" for f in given if f.status is Status.NO_EFFECT]
    return refused, notes
