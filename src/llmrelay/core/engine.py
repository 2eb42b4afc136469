"""Moved to `llmrelay.engine`; this name stays until the branches that import it are merged."""

from llmrelay.engine import Engine as Engine
from llmrelay.engine import StreamTimeouts as StreamTimeouts
