"""`os.file/PATH`: a secret kept in a file (a Docker or Kubernetes secret mount, a file only the
gateway's user may read), read once at startup — by the gateway's config loader and by the SDK's
Router alike, so it lives in the bottom room both reach.

Bounded: a regular file of at most MAX_SECRET_FILE_BYTES, UTF-8. One trailing newline (`\\n` or
`\\r\\n`) is stripped, as editors and `echo` add one, and a key with a newline in it would be sent
as a broken header. A FIFO or device is refused before it is read (opening a FIFO would block the
start until a writer came; /dev/zero never ends)."""

from __future__ import annotations

import os
import stat

MAX_SECRET_FILE_BYTES = 64 * 1024


class SecretFileError(Exception):
    """The secret file could not be read; the message names the file and never its content."""


def read_secret_file(path: str) -> str:
    """The secret in the file at `path` (relative: to the working directory). Raises SecretFileError."""
    if not path:
        raise SecretFileError("os.file/ names no file")
    try:
        # O_NONBLOCK: a FIFO opens at once instead of waiting for a writer; it is refused below
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise SecretFileError(f"cannot read the secret file {path} ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SecretFileError(f"the secret file {path} is not a regular file")
        data = file.read(MAX_SECRET_FILE_BYTES + 1)
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise SecretFileError(f"the secret file {path} is larger than {MAX_SECRET_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretFileError(f"the secret file {path} is not UTF-8 text") from None
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text
