"""Stop sequences over text decoded so far: what can be handed on now, and where the answer ends.
Text that could be the start of a stop sequence, or that ends in half a character (a multi-byte
character split across tokens decodes to U+FFFD until its last byte comes), is held back."""

from __future__ import annotations

_PARTIAL = "\ufffd"
# a UTF-8 character is at most 4 bytes: replacement characters still there this many tokens later
# are the model's own invalid bytes, not half a character, and are handed on
_PARTIAL_PATIENCE = 4


class StopScanner:
    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = stops
        self.text = ""  # the answer so far (cut at a stop sequence once one is seen)
        self._sent = 0
        self._partial_at = -1  # where the trailing replacement characters begin
        self._partial_for = 0  # for how many scans they have been there

    def scan(self, decoded: str) -> tuple[str, bool]:
        """(new text safe to hand on, whether a stop sequence ended the answer)."""
        cut = min((i for i in (decoded.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.text = decoded[:cut]
            return self._take(cut), True
        self.text = decoded
        ready = len(decoded)
        while ready > self._sent and decoded[ready - 1] == _PARTIAL:
            ready -= 1
        if ready == len(decoded):
            self._partial_at, self._partial_for = -1, 0
        elif ready == self._partial_at:
            self._partial_for += 1
            if self._partial_for >= _PARTIAL_PATIENCE:
                ready = len(decoded)
        else:
            self._partial_at, self._partial_for = ready, 1
        held = 0
        for stop in self.stops:
            # the longest end of the ready text that starts this stop sequence (itself not whole)
            for size in range(min(len(stop) - 1, ready - self._sent), held, -1):
                if decoded.endswith(stop[:size], 0, ready):
                    held = size
                    break
        ready -= held
        return self._take(ready), False

    def flush(self) -> str:
        """What was held back, once no more text will come."""
        return self._take(len(self.text))

    def _take(self, end: int) -> str:
        if end <= self._sent:
            return ""
        piece = self.text[self._sent : end]
        self._sent = end
        return piece
