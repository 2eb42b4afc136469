"""Draining spools that no process owns any more.

Each gateway worker process owns one spool directory under a common base (e.g. `spool/worker-0`).
After a restart with fewer workers, or a worker that never came back, a directory may hold segments
nobody will replay; any process can take such a directory's lock and write its segments out. Records
the database refuses, and frames that do not decode, are set aside in that directory's dead-letter
file (spend/quarantine.py) rather than failing the start of the process that found them."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from llmrelay.spend.quarantine import Quarantine, apply_isolating
from llmrelay.spend.spool import Spool, SpoolLocked
from llmrelay.spend.writer import Apply

log = logging.getLogger("llmrelay.spend")


def _subdirectories(base: Path) -> list[Path]:
    return sorted(path for path in base.iterdir() if path.is_dir()) if base.is_dir() else []


async def drain_orphan_spools(
    base: Path, apply: Apply, *, max_batch: int = 1000, quarantine: Quarantine | None = None
) -> int:
    """Write out every segment under `base/*/` whose directory no live process holds; returns how many
    records were new to the database. Directories in use are skipped. Idempotent like the writer."""
    quarantine = quarantine if quarantine is not None else Quarantine()
    applied = 0
    for directory in await asyncio.to_thread(_subdirectories, base):
        try:
            spool = await asyncio.to_thread(Spool, directory)
        except SpoolLocked:
            continue
        try:
            for segment in spool.sealed():
                contents = await asyncio.to_thread(spool.read_segment, segment)
                if contents.unreadable:
                    await asyncio.to_thread(
                        quarantine.write_unreadable, directory, segment, contents.unreadable
                    )
                records = contents.records
                for start in range(0, len(records), max_batch):
                    outcome = await apply_isolating(apply, records[start : start + max_batch])
                    if outcome.refused:
                        await asyncio.to_thread(quarantine.write_refused, directory, outcome.refused)
                    applied += outcome.applied
                await asyncio.to_thread(spool.remove, segment)
        finally:
            await asyncio.to_thread(spool.close)
    if applied:
        log.info("wrote %d spend records left in orphaned spools under %s", applied, base)
    return applied
