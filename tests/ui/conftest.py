from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ui_gateway import UiGateway, ui_document


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[UiGateway]:
    gw = UiGateway(ui_document(tmp_path)).start()
    try:
        yield gw
    finally:
        gw.stop()
