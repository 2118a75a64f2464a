"""Back-pressure for `journeys serve`: how many requests it works on at once and how many body
bytes it holds in memory. Past either bound a request is refused at once with a retryable answer
(429 and `Retry-After`, which OTLP exporters honour) instead of queueing without limit.

All accounting happens on the event loop's thread, so plain counters suffice.
"""

from __future__ import annotations


class Admission:
    def __init__(self, max_requests: int, max_buffered_bytes: int) -> None:
        self.max_requests = max_requests
        self.max_buffered_bytes = max_buffered_bytes
        self.in_flight = 0
        self.buffered_bytes = 0

    def enter(self) -> bool:
        """Take a request slot; False when every slot is taken."""
        if self.in_flight >= self.max_requests:
            return False
        self.in_flight += 1
        return True

    def hold(self, size: int) -> bool:
        """Account for `size` more body bytes in memory; False (holding nothing) past the bound."""
        if self.buffered_bytes + size > self.max_buffered_bytes:
            return False
        self.buffered_bytes += size
        return True

    def leave(self, held: int) -> None:
        """Give back a request's slot and the body bytes it held."""
        self.in_flight -= 1
        self.buffered_bytes -= held
