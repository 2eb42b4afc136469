"""`os.file/PATH` in config.yaml: a secret read from a file once at startup, bounded, its trailing
newline stripped, and every failure a config error naming the setting and the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llmrelay.config import ConfigError, parse_config
from llmrelay.secret_files import MAX_SECRET_FILE_BYTES


def _config(api_key: str, **general: object) -> dict[str, object]:
    return {
        "model_list": [
            {"model_name": "m", "litellm_params": {"model": "openai/gpt-4o", "api_key": api_key}},
        ],
        "general_settings": general,
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"sk-from-file\n", "sk-from-file"),
        (b"sk-from-file\r\n", "sk-from-file"),
        (b"sk-from-file", "sk-from-file"),
        # one newline only: the rest is the secret's own
        (b"sk-from-file\n\n", "sk-from-file\n"),
    ],
)
def test_a_file_reference_is_the_file_without_its_trailing_newline(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    secret = tmp_path / "openai_key"
    secret.write_bytes(content)
    config = parse_config(
        _config(f"os.file/{secret}", master_key=f"os.file/{secret}"), source="c.yaml", environ={}
    )
    assert config.model_list[0]["litellm_params"]["api_key"] == expected
    assert config.general.master_key == expected


def test_a_missing_file_names_the_setting_and_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError) as refused:
        parse_config(_config(f"os.file/{missing}"), source="c.yaml", environ={})
    message = str(refused.value)
    assert "model_list[0].litellm_params.api_key" in message
    assert str(missing) in message and "os.file/" in message


def test_a_file_larger_than_the_bound_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * (MAX_SECRET_FILE_BYTES + 1))
    with pytest.raises(ConfigError) as refused:
        parse_config(_config(f"os.file/{big}"), source="c.yaml", environ={})
    assert "larger than" in str(refused.value)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError) as refused:
        parse_config(_config(f"os.file/{fifo}"), source="c.yaml", environ={})
    assert "not a regular file" in str(refused.value)


def test_binary_content_is_refused_and_not_printed(tmp_path: Path) -> None:
    binary = tmp_path / "bin"
    binary.write_bytes(b"\xff\xfesecret-bytes")
    with pytest.raises(ConfigError) as refused:
        parse_config(_config(f"os.file/{binary}"), source="c.yaml", environ={})
    assert "not UTF-8" in str(refused.value) and "secret-bytes" not in str(refused.value)


def test_environ_references_still_resolve_beside_files(tmp_path: Path) -> None:
    secret = tmp_path / "k"
    secret.write_text("sk-file\n")
    document = _config("os.environ/OPENAI_KEY", master_key=f"os.file/{secret}")
    config = parse_config(document, source="c.yaml", environ={"OPENAI_KEY": "sk-env"})
    assert config.model_list[0]["litellm_params"]["api_key"] == "sk-env"
    assert config.general.master_key == "sk-file"
    with pytest.raises(ConfigError) as refused:
        parse_config(document, source="c.yaml", environ={})
    assert "environment variable OPENAI_KEY is not set" in str(refused.value)
