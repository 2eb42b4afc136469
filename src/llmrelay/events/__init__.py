"""What happened on each call, and the sinks that hear about it off the request path."""

from llmrelay.events.callbacks import Callback, CallbackDispatcher
from llmrelay.events.record import CallRecord

__all__ = ["CallRecord", "Callback", "CallbackDispatcher"]
