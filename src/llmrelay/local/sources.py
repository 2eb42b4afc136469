"""Where a local model's files are: a folder, or a model id already in the local Hugging Face cache.
Run in a loader thread (it reads the file system). Nothing is ever downloaded: every load passes
`local_files_only=True`, which is what HF_HUB_OFFLINE=1 does, for this load only."""

from __future__ import annotations

from pathlib import Path

from llmrelay.local.errors import LocalModelError


def model_source(path: str) -> str:
    """The folder to load from, or the cache id to look up; a 404 naming `path` when it is neither
    a folder nor shaped like a model id (`org/name`)."""
    folder = Path(path).expanduser()
    if folder.is_dir():
        return str(folder)
    if _looks_like_model_id(path):
        return path
    raise missing_model(path)


def missing_model(path: str, why: str = "") -> LocalModelError:
    detail = f" ({why})" if why else ""
    return LocalModelError(
        404,
        f"no local model at {path!r}: not a folder, nor a model id in the local Hugging Face cache"
        f"{detail}; llmrelay never downloads models",
        param="model_path",
        code="model_not_found",
    )


def _looks_like_model_id(path: str) -> bool:
    parts = path.split("/")
    return (
        len(parts) <= 2
        and all(parts)
        and not path.startswith((".", "~"))
        and all(not p.startswith(".") for p in parts)
    )


def load_failure(path: str, exc: Exception) -> LocalModelError:
    """Why a model did not load: a model id not in the cache is a 404 (transformers' "not found" is
    an OSError); a folder whose files do not load (broken, foreign) a 500 naming it. In the loader
    thread, as the folder is looked at again."""
    if isinstance(exc, OSError) and not Path(path).expanduser().is_dir():
        return missing_model(path, _short(exc))
    return LocalModelError(500, f"cannot load the local model at {path!r}: {_short(exc)}")


def _short(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= 300 else text[:297] + "..."
