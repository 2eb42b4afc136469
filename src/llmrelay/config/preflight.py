"""Checks made once before the gateway serves, in the process that starts it: the database it is
told to use can be reached, and the address it should listen on is free. Each failure is one line,
not a traceback from every worker after "serving" was printed."""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Mapping
from typing import Any

from llmrelay.config.errors import ConfigError

DATABASE_CONNECT_SECONDS = 5.0


def check_database(source: str, configured: str | None, environ: Mapping[str, str]) -> None:
    """A configured database (general_settings.database_url, else DATABASE_URL) must be a supported
    kind and answer within DATABASE_CONNECT_SECONDS. Nothing configured: nothing to check."""
    raw = configured or environ.get("DATABASE_URL")
    if not raw:
        return
    # only now: the storage package needs the `db` extra, which a gateway without keys may lack
    from llmrelay.storage.url import to_async_driver

    path = "general_settings.database_url" if configured else "DATABASE_URL (environment)"
    try:
        url = to_async_driver(raw)
    except ValueError as exc:
        raise ConfigError(source, path, str(exc)) from None
    problem = _ping_in_child(raw, url)
    if problem is not None:
        raise ConfigError(source, path, problem)


def _ping_in_child(raw: str, url: str) -> str | None:
    """The ping, in a forked child that returns what went wrong (None: the database answered): the
    driver and SQLAlchemy it imports (≈ 20 MB) stay out of this process, which starts the workers
    and would hand its pages down to each of them (docs/adr/0012)."""
    import multiprocessing

    from llmrelay.storage.url import redact

    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(
        target=_ping_and_tell, args=(raw, url, writer), name="llmrelay-db-check", daemon=True
    )
    child.start()
    writer.close()
    try:
        if reader.poll(DATABASE_CONNECT_SECONDS + 5):
            answer: str | None = reader.recv()
            return answer
        return f"the database {redact(url)} did not answer within {DATABASE_CONNECT_SECONDS:g} s"
    except EOFError:
        return f"cannot connect to {redact(url)}: the check ended without an answer (exit {child.exitcode})"
    finally:
        reader.close()
        child.join(1)
        if child.is_alive():
            child.kill()
            child.join()


def _ping_and_tell(raw: str, url: str, writer: Any) -> None:
    # imported before the clock starts: DATABASE_CONNECT_SECONDS is the database's time to answer
    import sqlalchemy  # noqa: F401

    from llmrelay.storage.database import Database  # noqa: F401
    from llmrelay.storage.url import redact

    try:
        asyncio.run(asyncio.wait_for(_ping(url), DATABASE_CONNECT_SECONDS))
        problem = None
    except TimeoutError:
        problem = f"the database {redact(url)} did not answer within {DATABASE_CONNECT_SECONDS:g} s"
    except Exception as exc:  # noqa: BLE001 - any driver error is the same config error, said once
        message = str(exc).replace(raw, redact(url)).replace(url, redact(url)).splitlines()
        reason = message[0] if message else type(exc).__name__
        problem = f"cannot connect to {redact(url)}: {reason}"
    writer.send(problem)
    writer.close()


async def _ping(url: str) -> None:
    import sqlalchemy

    from llmrelay.storage.database import Database

    db = Database(url)
    try:
        async with db.connect() as connection:
            await connection.execute(sqlalchemy.text("SELECT 1"))
    finally:
        await db.close()


def check_address(host: str, port: int) -> str | None:
    """Why the gateway cannot listen on host:port (in use, not an address of this machine...), or
    None when it can."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # as the server will: a port left in TIME_WAIT by a previous run is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                why = "the port is in use (choose another with --port or PORT)"
            else:
                why = exc.strerror or str(exc)
            return f"cannot listen on {host}:{port}: {why}"
    return None
