"""multipart/form-data: what the adapters encode (providers/multipart.py) the gateway's decoder
(proxy/multipart.py) and the standard library's MIME parser (the simulator's) read back exactly, and
every malformed body is a 400 saying what is wrong."""

from __future__ import annotations

import email
import email.policy
import random
from typing import Any

import msgspec
import pytest

from llmrelay.providers.multipart import encode_form
from llmrelay.proxy.multipart import MAX_PARTS, FormDecoder, parse_form
from llmrelay.types.errors import BadRequestError
from llmrelay.types.files import FileUpload, as_upload


class Upload(msgspec.Struct, kw_only=True):
    image: FileUpload
    n: int | None = None
    size: str | None = None
    flag: bool | None = None
    extra_body: dict[str, Any] | None = None


def _random_bytes(rng: random.Random, size: int) -> bytes:
    # with the bytes a naive parser trips on: line breaks and dashes
    alphabet = [b"\r\n", b"--", b"\r", b"\n", b"-", bytes([rng.randrange(256)])]
    return b"".join(rng.choice(alphabet) for _ in range(size))[:size]


@pytest.mark.parametrize("seed", range(20))
def test_what_is_encoded_decodes_back_exactly(seed: int) -> None:
    rng = random.Random(seed)
    data = _random_bytes(rng, rng.randrange(0, 3000))
    name = rng.choice(["a.png", 'quote".png', "back\\slash.png", "line\r\nbreak.png", "ünï.png"])
    upload = FileUpload(data=data, filename=name, content_type="image/png")
    body, content_type = encode_form(
        {"n": 3, "size": "256x256", "flag": True, "none": None}, {"image": upload}
    )
    parts = dict(parse_form(body, content_type))
    image = parts["image"]
    assert isinstance(image, FileUpload) and image.data == data and image.content_type == "image/png"
    assert (parts["n"], parts["size"], parts["flag"]) == ("3", "256x256", "true") and "none" not in parts
    # the standard library's parser (the simulator's) reads the same
    message = email.message_from_bytes(
        b"content-type: " + content_type.encode() + b"\r\n\r\n" + body, policy=email.policy.HTTP
    )
    [*_, file_part] = message.iter_parts()
    assert file_part.get_payload(decode=True) == data


def test_a_form_decodes_into_the_request_type_and_keeps_unknown_fields() -> None:
    upload = FileUpload(data=b"\x89PNG", filename="k.png", content_type="image/png")
    body, content_type = encode_form({"n": 2, "flag": False, "style": "x"}, {"image": upload})
    request = FormDecoder(Upload).decode(body, content_type)
    assert request == Upload(image=upload, n=2, flag=False, extra_body={"style": "x"})


@pytest.mark.parametrize(
    ("body", "content_type", "what"),
    [
        (b"--b\r\n\r\nx\r\n--b--", "application/json", "must be multipart/form-data"),
        (b"--b\r\n\r\nx\r\n--b--", None, "must be multipart/form-data"),
        (b"--b\r\n\r\nx\r\n--b--", "multipart/form-data", "names no boundary"),
        (b"junk--b--", "multipart/form-data; boundary=b", "does not start with the boundary"),
        (b"--b--\r\n", "multipart/form-data; boundary=b", "has no parts"),
        (b"--b\r\ncontent-disposition: form-data; name=a\r\n\r\nx", "multipart/form-data; boundary=b",
         "closing boundary"),
        (b"--b\r\ncontent-disposition: form-data; name=a\r\n--b--", "multipart/form-data; boundary=b",
         "headers do not end"),
        (b"--b\r\nno colon here\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b", "no colon"),
        (b"--b\r\ncontent-type: text/plain\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b",
         "not form-data"),
        (b"--b\r\ncontent-disposition: form-data\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b",
         "has no name"),
        (b"--bx\r\n--b--", "multipart/form-data; boundary=b", "not followed by a line break"),
        (b"--b\r\ncontent-disposition: form-data; name=n\r\n\r\n\xff\r\n--b--",
         "multipart/form-data; boundary=b", "not UTF-8"),
    ],
)  # fmt: skip
def test_a_malformed_form_is_a_400_saying_what_is_wrong(
    body: bytes, content_type: str | None, what: str
) -> None:
    with pytest.raises(BadRequestError, match=what):
        parse_form(body, content_type)


def test_a_file_field_the_type_does_not_know_is_passed_on_as_a_file() -> None:
    upload = FileUpload(data=b"\x89PNG", filename="k.png", content_type="image/png")
    mask = FileUpload(data=b"mask-bytes", filename="m.png", content_type="image/png")
    body, content_type = encode_form({"n": 1, "mask": mask}, {"image": upload})
    request = FormDecoder(Upload).decode(body, content_type)
    assert request.extra_body == {"mask": mask}
    # sent on by an adapter as it came: a file again, not its repr
    again, again_type = encode_form({"n": 1, **request.extra_body}, {"image": request.image})
    assert dict(parse_form(again, again_type))["mask"] == mask


def test_a_form_of_too_many_parts_is_refused() -> None:
    fields = {f"f{i}": "x" for i in range(MAX_PARTS)}
    body, content_type = encode_form(fields, {"image": FileUpload(data=b"x")})
    with pytest.raises(BadRequestError, match=f"more than {MAX_PARTS} parts"):
        parse_form(body, content_type)


def test_a_field_of_the_wrong_type_is_a_400_naming_it() -> None:
    body, content_type = encode_form({"n": "many"}, {"image": FileUpload(data=b"x")})
    with pytest.raises(BadRequestError) as refused:
        FormDecoder(Upload).decode(body, content_type)
    assert refused.value.param == "n"
    body, content_type = encode_form({"n": 1}, {})
    with pytest.raises(BadRequestError, match="image"):
        FormDecoder(Upload).decode(body, content_type)


def test_the_sdk_takes_a_file_as_the_openai_sdk_does(tmp_path: Any) -> None:
    path = tmp_path / "kite.png"
    path.write_bytes(b"\x89PNG-data")
    from_path = as_upload(path, "image")
    assert (from_path.filename, from_path.content_type, from_path.data) == (
        "kite.png",
        "image/png",
        b"\x89PNG-data",
    )
    with path.open("rb") as handle:
        assert as_upload(handle, "image") == from_path
    assert as_upload(("k.png", b"d"), "image") == FileUpload(
        data=b"d", filename="k.png", content_type="image/png"
    )
    assert as_upload(b"raw", "image") == FileUpload(data=b"raw", filename="image")
    assert "raw" not in repr(as_upload(b"raw", "image"))  # a repr never shows the content
    with pytest.raises(BadRequestError, match="`image` must be bytes"):
        as_upload(42, "image")
