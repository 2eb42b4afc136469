"""JSON Schema → the Gemini API's Schema object (a subset of OpenAPI 3.0).

`FunctionDeclaration.parameters` and `GenerationConfig.responseSchema` take Gemini's Schema, which
rejects any key it does not know ("Unknown name ... Cannot find field"). So a schema is rebuilt from
the keys Gemini documents, and JSON Schema idioms that have an equivalent are translated:

- kept: type, format, title, description, nullable, enum, items, properties, required, anyOf,
  propertyOrdering, minItems, maxItems, minLength, maxLength, minProperties, maxProperties, minimum,
  maximum, pattern, default, example;
- translated: `"type": [T, "null"]` → `type: T, nullable: true`; an `anyOf`/`oneOf` branch
  `{"type": "null"}` → `nullable: true`; `oneOf` → `anyOf`; `const: v` → `enum: [v]`; a single-branch
  `allOf` is merged into its parent; local `$ref`s (`#/$defs/X`, `#/definitions/X`) are inlined;
  `examples: [v, ...]` → `example: v`;
- dropped (Gemini has no equivalent): additionalProperties, $schema, $id, $defs, definitions, $ref that
  cannot be resolved (or recursive beyond a few levels), $comment, strict, readOnly, writeOnly,
  deprecated, exclusiveMinimum, exclusiveMaximum, multipleOf, uniqueItems, patternProperties,
  dependentRequired, if/then/else, not, contentEncoding, contentMediaType, and anything else unknown.

Types are upper-cased (STRING, OBJECT, ...) as the reference spells the Type enum; enum values become
strings, as Gemini's enum only holds strings.
"""

from __future__ import annotations

from typing import Any

_PASS_THROUGH = frozenset(
    {
        "format", "title", "description", "nullable", "minItems", "maxItems", "minLength", "maxLength",
        "minProperties", "maxProperties", "minimum", "maximum", "pattern", "default", "example",
        "propertyOrdering",
    }
)  # fmt: skip
# how deep $ref inlining may go: recursive schemas cannot be expressed in Gemini's Schema
_MAX_REF_DEPTH = 8


def to_gemini_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` in the shape Gemini accepts; the input is not modified."""
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        found = schema.get(key)
        if isinstance(found, dict):
            defs.update(found)
    return _convert(schema, defs, 0)


def _convert(schema: Any, defs: dict[str, Any], depth: int) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = _resolve(ref, defs) if depth < _MAX_REF_DEPTH else None
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        if target is None:
            return _convert(siblings, defs, depth)
        return _convert({**target, **siblings}, defs, depth + 1)

    out: dict[str, Any] = {}
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        # the parent's own keys, copied below, win over the merged branch
        out.update(_convert(all_of[0], defs, depth))

    _copy_type(schema, out)
    for key, value in schema.items():
        if key in _PASS_THROUGH:
            out[key] = value
    examples = schema.get("examples")
    if isinstance(examples, list) and examples and "example" not in out:
        out["example"] = examples[0]
    if "const" in schema:
        out["enum"] = [_enum_value(schema["const"])]
    elif isinstance(schema.get("enum"), list):
        values = [v for v in schema["enum"] if v is not None]
        if len(values) < len(schema["enum"]):
            out["nullable"] = True
        out["enum"] = [_enum_value(v) for v in values]
        out.setdefault("type", "STRING")

    properties = schema.get("properties")
    if isinstance(properties, dict):
        out["properties"] = {name: _convert(sub, defs, depth) for name, sub in properties.items()}
    if isinstance(schema.get("required"), list):
        out["required"] = [r for r in schema["required"] if isinstance(r, str)]
    if "items" in schema and isinstance(schema["items"], dict):
        out["items"] = _convert(schema["items"], defs, depth)

    branches = schema.get("anyOf", schema.get("oneOf"))
    if isinstance(branches, list):
        _copy_union(branches, defs, depth, out)
    return out


def _copy_type(schema: dict[str, Any], out: dict[str, Any]) -> None:
    kind = schema.get("type")
    if isinstance(kind, list):
        concrete = [t for t in kind if t != "null"]
        if len(concrete) < len(kind):
            out["nullable"] = True
        # a union of several concrete types has no Gemini spelling but anyOf
        if len(concrete) == 1:
            kind = concrete[0]
        elif concrete:
            out["anyOf"] = [{"type": str(t).upper()} for t in concrete]
            return
        else:
            return
    if isinstance(kind, str) and kind != "null":
        out["type"] = kind.upper()


def _copy_union(branches: list[Any], defs: dict[str, Any], depth: int, out: dict[str, Any]) -> None:
    converted = []
    for branch in branches:
        if isinstance(branch, dict) and branch.get("type") == "null":
            out["nullable"] = True
            continue
        converted.append(_convert(branch, defs, depth))
    if len(converted) == 1:
        # `anyOf: [X, null]` is just a nullable X
        for key, value in converted[0].items():
            out.setdefault(key, value)
    elif converted:
        out["anyOf"] = converted


def _resolve(ref: str, defs: dict[str, Any]) -> dict[str, Any] | None:
    for prefix in ("#/$defs/", "#/definitions/"):
        if ref.startswith(prefix):
            target = defs.get(ref[len(prefix) :])
            return target if isinstance(target, dict) else None
    return None


def _enum_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def has_properties(schema: dict[str, Any]) -> bool:
    """Whether an OBJECT schema declares any property: Gemini rejects an OBJECT whose properties are
    empty as a function's parameters, so such declarations are sent without parameters."""
    props = schema.get("properties")
    return isinstance(props, dict) and bool(props)
