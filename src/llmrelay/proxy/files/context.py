"""What the files and batches routes share in one gateway worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

from llmrelay.proxy.body_deadline import BodyTimeoutError
from llmrelay.proxy.files.access import FilesGate
from llmrelay.proxy.files.billing import BatchBilling
from llmrelay.proxy.files.targets import FilesTargets
from llmrelay.proxy.files.upstream import FilesUpstream
from llmrelay.proxy.http import Request
from llmrelay.storage.repos.files import FileRepository


@dataclass(frozen=True, slots=True)
class FilesContext:
    repo: FileRepository
    targets: FilesTargets
    upstream: FilesUpstream
    gate: FilesGate
    billing: BatchBilling
    max_file_bytes: int  # an upload's cap (general_settings.max_file_size_mb)
    max_line_bytes: int  # a batch line's (the gateway's body cap: a line is one request's body)
    body_limit: int  # a JSON body's (batch creation)
    body_timeout: float  # the most seconds between two pieces of an upload
    clock: Callable[[], datetime]

    async def chunks(self, req: Request) -> AsyncIterator[bytes]:
        """The request's body as it arrives; 408 when a piece takes longer than the body timeout
        (the whole upload may take as long as it keeps moving)."""
        pieces = aiter(req.proto)
        while True:
            try:
                async with asyncio.timeout(self.body_timeout):
                    piece = await anext(pieces)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise BodyTimeoutError(
                    f"the upload stalled for {self.body_timeout}s "
                    "(general_settings.request_body_timeout_seconds)"
                ) from None
            yield piece
