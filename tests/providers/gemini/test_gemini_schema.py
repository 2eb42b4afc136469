"""JSON Schema → Gemini Schema translation."""

from __future__ import annotations

import copy
from typing import Any

from llmrelay.providers.gemini.schema import to_gemini_schema


def test_unknown_keys_are_dropped_everywhere_and_input_untouched() -> None:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "x",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "tags": {"type": "array", "uniqueItems": True, "items": {"type": "string", "$comment": "c"}},
            "n": {"type": "number", "multipleOf": 2, "exclusiveMaximum": 10, "maximum": 9},
            "meta": {"type": "object", "patternProperties": {"^x": {"type": "string"}}, "properties": {
                "k": {"type": "string", "readOnly": True}
            }},
        },
    }  # fmt: skip
    before = copy.deepcopy(schema)
    assert to_gemini_schema(schema) == {
        "type": "OBJECT",
        "properties": {
            "tags": {"type": "ARRAY", "items": {"type": "STRING"}},
            "n": {"type": "NUMBER", "maximum": 9},
            "meta": {"type": "OBJECT", "properties": {"k": {"type": "STRING"}}},
        },
    }
    assert schema == before


def test_one_of_becomes_any_of_and_null_branch_nullable() -> None:
    schema = {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}
    assert to_gemini_schema(schema) == {"nullable": True, "anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]}


def test_several_concrete_types_become_any_of() -> None:
    assert to_gemini_schema({"type": ["string", "number", "null"]}) == {
        "nullable": True,
        "anyOf": [{"type": "STRING"}, {"type": "NUMBER"}],
    }


def test_const_and_non_string_enum_become_string_enums() -> None:
    assert to_gemini_schema({"const": 3}) == {"enum": ["3"]}
    assert to_gemini_schema({"type": "integer", "enum": [1, 2]}) == {"type": "INTEGER", "enum": ["1", "2"]}
    assert to_gemini_schema({"enum": [True, "x"]}) == {"type": "STRING", "enum": ["true", "x"]}


def test_single_all_of_is_merged_and_parent_keys_win() -> None:
    schema = {"allOf": [{"type": "string", "description": "inner"}], "description": "outer"}
    assert to_gemini_schema(schema) == {"type": "STRING", "description": "outer"}


def test_refs_are_inlined_from_defs_and_definitions() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#/definitions/A"}, "b": {"$ref": "#/$defs/B", "description": "bee"}},
        "definitions": {"A": {"type": "string"}},
        "$defs": {"B": {"type": "integer", "description": "plain"}},
    }
    assert to_gemini_schema(schema)["properties"] == {
        "a": {"type": "STRING"},
        "b": {"type": "INTEGER", "description": "bee"},
    }


def test_recursive_ref_is_cut_off_instead_of_looping() -> None:
    schema = {
        "$ref": "#/$defs/Node",
        "$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
    }
    depth = 0
    node: dict[str, Any] = to_gemini_schema(schema)
    while "properties" in node:
        node = node["properties"]["child"]
        depth += 1
    assert 1 < depth <= 10
    assert node == {}


def test_unresolvable_ref_is_dropped_keeping_siblings() -> None:
    schema = {"$ref": "https://example.com/remote.json", "description": "remote"}
    assert to_gemini_schema(schema) == {"description": "remote"}


def test_examples_become_example() -> None:
    assert to_gemini_schema({"type": "string", "examples": ["a", "b"]}) == {"type": "STRING", "example": "a"}
