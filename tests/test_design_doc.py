"""docs/design.md names real things: every file path it mentions exists, every code name it uses is
defined in the package, and its rooms diagram is pyproject.toml's layers contract line by line.

The document drifted once (a signing hook that never existed, rooms it did not list); these checks
make the next drift fail here instead of misleading a reader. Names are found by reading the source
(ast), not by importing it, so the check needs none of the optional extras."""

from __future__ import annotations

import ast
import re
import tomllib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "llmrelay"
DESIGN = ROOT / "docs" / "design.md"

# files the document names in other projects (its "good neighbours to read"), not in this one
OTHER_PROJECTS = {"_transports/base.py", "mock.py", "_connection.py", "middleware/", "utils.py"}
# proper nouns spelled in CamelCase that name products and formats, not code of this package
BRANDS = {
    "LiteLLM", "OpenAI", "OpenTelemetry", "OpenRouter", "PostgreSQL", "SQLite", "SQLAlchemy", "FastAPI",
    "DeepSeek", "TensorZero", "SigV4", "HuggingFace", "GitHub", "JavaScript", "LangFuse",
}  # fmt: skip
# bare names in backticks that are not this package's code: config.yaml sections, typing's flag, the
# import-linter option, LiteLLM's attribute, the package itself
NOT_CODE = {"general_settings", "TYPE_CHECKING", "ignore_imports", "_hidden_params", "llmrelay"}
# folders at the repository's top level that a path may start from (anything else is a room)
TOP = ("src/", "tests/", "docs/", "bench/", "scripts/", "examples/")

# a path ends where a word does: "price/capability" or "request/answer" in prose are not paths
PATH = re.compile(
    r"(?<![\w./<>-])((?:[A-Za-z_<>][\w<>.-]*/)+(?:[\w<>-]+\.(?:py|md|toml|json|yaml))?)(?![\w<>-])"
)
BACKTICKED = re.compile(r"`([^`\n]+)`")
CAMEL = re.compile(r"(?<![\w.])([A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+)\b")
# `Class.member` or `llmrelay.name`; a lower-case owner is some other dotted name (`gen_ai.system`)
DOTTED = re.compile(r"^(llmrelay|[A-Z]\w*)\.([A-Za-z_]\w*)")
CALLED = re.compile(r"^([a-z_][\w<>]*)\(")


def text() -> str:
    return DESIGN.read_text(encoding="utf-8")


@cache
def definitions() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """Every name the package defines at module level (classes, functions, constants) and, per class
    name, the names its body defines (methods, fields, class attributes)."""
    names: set[str] = set()
    members: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, ast.ClassDef):
                names.add(node.name)
                body = members.setdefault(node.name, set())
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        body.add(item.name)
                    elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        body.add(item.target.id)
                    elif isinstance(item, ast.Assign):
                        body.update(t.id for t in item.targets if isinstance(t, ast.Name))
        for node in tree.body:
            if isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
    return frozenset(names), {k: frozenset(v) for k, v in members.items()}


def provider_names() -> set[str]:
    """The provider prefixes the package's data table declares (`openai_like`): names a reader
    writes in config.yaml, as real as a class."""
    table = tomllib.loads((PACKAGE / "providers" / "openai_compat.toml").read_text(encoding="utf-8"))
    return {row["name"] for row in table["provider"]}


def exports() -> set[str]:
    """What `llmrelay.<name>` may name: the package's lazy exports and its submodules."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    found = {p.stem for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            found.add(node.value)
    return found


def resolve(path: str) -> Path | None:
    """Where a path the document names lives: from the repository's top, else in the package. A
    `<placeholder>` segment stands for any one entry of the folder before it."""
    base = ROOT if path.startswith(TOP) else PACKAGE
    current = [base]
    for part in path.rstrip("/").split("/"):
        if part.startswith("<") and part.endswith(">"):
            current = [child for folder in current if folder.is_dir() for child in folder.iterdir()]
        else:
            current = [folder / part for folder in current if (folder / part).exists()]
        if not current:
            return None
    return current[0]


def named_paths(doc: str) -> set[str]:
    return {match.group(1) for match in PATH.finditer(doc)}


def missing_paths(doc: str) -> list[str]:
    return sorted(p for p in named_paths(doc) if p not in OTHER_PROJECTS and resolve(p) is None)


def test_every_path_it_names_exists() -> None:
    paths = named_paths(text())
    assert {"calls/call.py", "gate/middleware.py", "limits/settler.py"} <= paths, "the extraction broke"
    missing = missing_paths(text())
    assert missing == [], f"docs/design.md names paths that do not exist: {missing}"


def test_a_moved_file_and_prose_are_told_apart() -> None:
    doc = "the gate (proxy/enforce_keys.py, `gate/key_gate.py`) and its price/capability check"
    assert missing_paths(doc) == ["proxy/enforce_keys.py"]


def code_spans() -> list[str]:
    return BACKTICKED.findall(text())


def test_every_dotted_and_called_name_is_defined() -> None:
    names, members = definitions()
    package = exports()
    # a called name may be a function or a field holding one (a codec's `parse`)
    callables = names | package_members(members)
    missing = []
    for span in code_spans():
        dotted = DOTTED.match(span)
        called = CALLED.match(span)
        if dotted is not None:
            owner, attribute = dotted.groups()
            if owner == "llmrelay":
                ok = attribute in package
            elif owner in members:
                ok = attribute in members[owner]
            else:
                ok = False
            if not ok:
                missing.append(span)
        elif called is not None:
            name = called.group(1)
            pattern = re.compile("^" + re.sub(r"<\w+>", r"\\w+", name) + "$")
            if not any(pattern.match(n) for n in callables):
                missing.append(span)
    assert missing == [], f"docs/design.md calls on names the package does not define: {missing}"


def test_every_bare_name_in_backticks_is_defined() -> None:
    names, members = definitions()
    known = names | package_members(members) | exports() | provider_names() | NOT_CODE
    bare = {span for span in code_spans() if span.isidentifier()}
    assert {"Provider", "served_of", "REGIONS"} <= bare, "the extraction broke"
    unknown = sorted(bare - known)
    assert unknown == [], f"docs/design.md names code the package does not define: {unknown}"


def package_members(members: dict[str, frozenset[str]]) -> set[str]:
    return set().union(*members.values())


def test_every_code_name_in_camel_case_is_defined() -> None:
    names, _ = definitions()
    used = set(CAMEL.findall(text()))
    assert {"KeyGateMiddleware", "CallContext", "CallRunner"} <= used, "the extraction broke"
    missing = sorted(used - names - BRANDS)
    assert missing == [], f"docs/design.md names classes the package does not define: {missing}"


def diagram_rooms(doc: str) -> list[str]:
    """The rooms column of the first diagram under "Rooms and layers": each line that starts at the
    margin, up to the two spaces before its description."""
    section = doc.split("## Rooms and layers", 1)[1]
    block = section.split("```", 2)[1]
    rows = []
    for line in block.splitlines():
        if line and not line[0].isspace():
            rows.append(re.split(r"\s{2,}", line.strip(), maxsplit=1)[0])
    return rows


def contract_layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers: list[str] = next(c for c in contracts if c["id"] == "rooms")["layers"]
    return layers


def test_the_rooms_diagram_is_the_layers_contract() -> None:
    assert diagram_rooms(text()) == contract_layers()


def test_a_diagram_missing_a_room_is_told_apart() -> None:
    doc = "## Rooms and layers\n```\ncli      the command\n         more of it\nproxy | gate  the edge\n```"
    assert diagram_rooms(doc) == ["cli", "proxy | gate"]
