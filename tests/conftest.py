"""Fixtures shared across test areas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from app_runner import main_module_kept
from receiver_runner import Receiver, running_receiver

from orchestration.settings import ReceiverSettings


@pytest.fixture(autouse=True)
def _main_module_kept() -> Iterator[None]:
    """No test leaves Streamlit's script behind as the process's `__main__` (see main_module_kept)."""
    with main_module_kept():
        yield


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    """The receiver with a 256 KiB body limit and one landing file per request, so a test sees
    each request's file as soon as it is answered."""
    settings = ReceiverSettings(batch_requests=1)
    with running_receiver(tmp_path / "received", max_body_bytes=256 * 1024, settings=settings) as running:
        yield running
