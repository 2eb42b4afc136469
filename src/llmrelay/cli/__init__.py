"""The `llmrelay` command.

llmrelay serve --config config.yaml [--host H] [--port 4000] [--workers N] [--debug]
llmrelay serve --demo                 simulators + gateway on a built-in config, no keys needed
llmrelay --model openai/gpt-4o [--api_key KEY] [--api_base URL] [--alias NAME]   one-model quick start
llmrelay --config config.yaml         same as `serve --config` (LiteLLM's spelling)
llmrelay sim [...]                    the provider simulators alone
llmrelay db upgrade [--config FILE] [--database-url URL]   apply the schema migrations
llmrelay --version

LiteLLM's `litellm` options are accepted in its spelling (`--num_workers`) and llmrelay's
(`--num-workers`, `--workers`); llmrelay.cli.flags says what each does.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from llmrelay.cli.flags import (
    Flag,
    FlagError,
    add_flags,
    environment_defaults,
    given_on_command_line,
    refusals_and_notes,
)
from llmrelay.version import __version__

EXIT_CONFIG = 2


def build_parser(prog: str = "llmrelay") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="llmrelay: an OpenAI- and Anthropic-compatible LLM gateway. LiteLLM's options are "
        "accepted in its spelling (--num_workers) and with dashes (--num-workers).",
        epilog="Commands: `llmrelay serve --help`, `llmrelay sim --help`, `llmrelay db --help`.",
    )
    parser.add_argument("--version", "-v", action="version", version=f"llmrelay {__version__}")
    add_flags(parser)
    return parser


def build_serve_parser() -> argparse.ArgumentParser:
    return build_parser("llmrelay serve")


@dataclass(frozen=True, slots=True)
class ParsedCommandLine:
    ns: argparse.Namespace
    # the flags spelled on the command line (not those from the environment)
    given: list[Flag]
    notes: list[str]


def parse_command_line(
    parser: argparse.ArgumentParser, args: Sequence[str], environ: Mapping[str, str]
) -> ParsedCommandLine:
    """The flags, with LiteLLM's environment defaults filled in. Raises FlagError (one line, every
    refused flag named) when a flag llmrelay lacks was given or an environment value is unreadable."""
    ns = parser.parse_args(args)
    given = given_on_command_line(ns)
    refused, notes = refusals_and_notes(given)
    if refused:
        raise FlagError("; ".join(refused))
    notes += environment_defaults(ns, environ)
    return ParsedCommandLine(ns, given, notes)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(args)
    except ModuleNotFoundError as exc:
        # a plain `pip install llmrelay` asked for what an extra brings: say which, not a traceback
        from llmrelay.cli.extras import explain

        missing = explain(exc)
        if missing is None:
            raise
        print(f"llmrelay: {missing}", file=sys.stderr)
        return EXIT_CONFIG


def _main(args: list[str]) -> int:
    if args and args[0] == "sim":
        from llmrelay.testing import run_simulators_cli

        result: int = run_simulators_cli(args[1:])
        return result
    if args and args[0] == "db":
        from llmrelay.cli.db import run_db

        return run_db(args[1:])
    serve_command = bool(args) and args[0] == "serve"
    parser = build_serve_parser() if serve_command else build_parser()
    try:
        parsed = parse_command_line(parser, args[1:] if serve_command else args, os.environ)
    except FlagError as exc:
        print(f"llmrelay: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    for note in parsed.notes:
        print(f"llmrelay: {note}", file=sys.stderr)
    if not (parsed.given or serve_command):
        parser.print_help()
        return 0
    from llmrelay.cli.run import run

    return run(parsed.ns, serve_command=serve_command)


if __name__ == "__main__":
    raise SystemExit(main())
