"""What store_model_in_db needs, refused at start with the setting named, and the sealing of stored
values: a value opens only with the secret that sealed it, in the row it was sealed for."""

from __future__ import annotations

import pytest

from llmrelay.config import parse_config
from llmrelay.config.errors import ConfigError
from llmrelay.proxy.server import build_app
from llmrelay.storage.sealing import Sealer, SealError, sealing_secret

MODEL = {"model_name": "m", "litellm_params": {"model": "openai/gpt-4o", "api_key": "sk-x"}}


def test_store_model_in_db_without_a_database_stops_the_start() -> None:
    # the suite turns the embedded store off (tests/conftest.py): a master key alone keeps no database
    general = {"master_key": "sk-m", "store_model_in_db": True}
    config = parse_config({"model_list": [MODEL], "general_settings": general}, source="c.yaml")
    with pytest.raises(ConfigError, match=r"^c\.yaml: general_settings\.store_model_in_db: needs a database"):
        build_app(config)


def test_store_model_in_db_without_a_secret_stops_the_start(
    sqlite_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LITELLM_SALT_KEY", raising=False)
    general = {"database_url": sqlite_db_url, "store_model_in_db": True}
    config = parse_config({"model_list": [MODEL], "general_settings": general}, source="c.yaml")
    with pytest.raises(ConfigError, match=r"needs general_settings\.master_key or LITELLM_SALT_KEY"):
        build_app(config)


def test_sealing() -> None:
    assert sealing_secret("sk-master", {}) == "sk-master"
    assert sealing_secret("sk-master", {"LITELLM_SALT_KEY": "salt"}) == "salt"
    assert sealing_secret(None, {}) is None
    box = Sealer("sk-master")
    sealed = box.seal(b'{"api_key": "sk-secret"}', "row-1")
    assert "sk-secret" not in sealed and box.seal(b"same", "row-1") != box.seal(b"same", "row-1")
    assert box.open(sealed, "row-1") == b'{"api_key": "sk-secret"}'
    with pytest.raises(SealError):
        box.open(sealed, "row-2")  # copied into another row
    with pytest.raises(SealError):
        Sealer("another").open(sealed, "row-1")
    with pytest.raises(SealError):
        box.open(sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB"), "row-1")
    with pytest.raises(SealError):
        box.open("plain text", "row-1")
    assert "sk-master" not in repr(box)
