"""How long an ingestion still needs: a smoothed rate, and no figure until it means something.

The time left is the bytes still to read divided by a rate learnt from the documents that
had to be embedded. Taken raw, that rate is wild: the first document embedded carries the
engine's start and the model's load (a 2 KB note that "took" 40 s made an ingestion of a
few hundred megabytes show 324,798 s), and one image-heavy PDF has few chunks for its
bytes. So the first document embedded is not counted, the rate is an exponentially
weighted average over the documents after it (bytes and seconds averaged alike, so a large
document weighs more than a small one), and there is no ETA (None) until enough has been
seen: a few documents, a few seconds of work, and a figure under a week.
"""

from __future__ import annotations

from typing import Final

ALPHA: Final = 0.3  # weight of the newest document in the averages
MIN_DOCUMENTS: Final = 3  # documents measured (after the first) before an ETA is shown
MIN_SECONDS: Final = 3.0  # seconds of measured work before an ETA is shown
MAX_ETA_S: Final = 7 * 24 * 3600.0  # anything longer is no estimate at all


class EtaEstimate:
    """The time left of one ingestion, updated as each document is finished."""

    def __init__(self, total_bytes: int) -> None:
        self.remaining_bytes = total_bytes
        self.measured = 0  # documents that count towards the rate
        self.measured_seconds = 0.0
        self._seen_first = False
        self._bytes = 0.0  # exponentially weighted bytes and seconds per measured document
        self._seconds = 0.0

    def finished(self, size: int, seconds: float, *, embedded: bool) -> None:
        """A document of ``size`` bytes is done; ``embedded`` when it was read and embedded
        (unchanged, moved and failed files take almost no time and teach nothing)."""
        self.remaining_bytes = max(0, self.remaining_bytes - size)
        if not embedded or size <= 0 or seconds <= 0:
            return
        if not self._seen_first:
            self._seen_first = True  # the engine's start and the model's load are in it
            return
        if self.measured == 0:
            self._bytes, self._seconds = float(size), seconds
        else:
            self._bytes = ALPHA * size + (1 - ALPHA) * self._bytes
            self._seconds = ALPHA * seconds + (1 - ALPHA) * self._seconds
        self.measured += 1
        self.measured_seconds += seconds

    def eta(self) -> float | None:
        """Seconds left, or None while there is no meaningful figure."""
        if self.remaining_bytes == 0:
            return 0.0  # nothing left to read: that much is certain
        if self.measured < MIN_DOCUMENTS or self.measured_seconds < MIN_SECONDS:
            return None
        if self._bytes <= 0:
            return None
        left = self.remaining_bytes * self._seconds / self._bytes
        return left if left <= MAX_ETA_S else None
