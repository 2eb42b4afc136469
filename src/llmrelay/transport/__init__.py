"""The only network code: pooled keep-alive HTTP clients that send what provider adapters build."""

from llmrelay.transport.http import HttpTransport, StreamingResponse

__all__ = ["HttpTransport", "StreamingResponse"]
