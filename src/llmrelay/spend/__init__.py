"""Spend tracking: attribution, a durable local spool, the batched database writer, retention."""

from llmrelay.spend.attribution import Attribution, spend_log_for_call
from llmrelay.spend.maintenance import SpendMaintenance
from llmrelay.spend.recovery import drain_orphan_spools
from llmrelay.spend.spool import Spool, SpoolLocked
from llmrelay.spend.writer import SpendWriter

__all__ = [
    "Attribution",
    "SpendMaintenance",
    "SpendWriter",
    "Spool",
    "SpoolLocked",
    "drain_orphan_spools",
    "spend_log_for_call",
]
