"""The engine room: one attempt of one call against one deployment (engine.py), run the same way
for every call type from the engine's rows of the operation table (codecs.py), with its exchanges
(exchange.py), streams (streams.py), prices (pricing.py) and the `Served` record it attaches
(served.py)."""

from llmrelay.calls.context import StreamTimeouts as StreamTimeouts
from llmrelay.engine.engine import Engine as Engine
