"""The OpenAPI document turned into what the docs page lists: operations by tag, each
with its parameters, body fields and answers, and every schema's fields.

Pure: it reads the document as a dict, so the page shows exactly what
/api/v1/openapi.json says, with no script and nothing fetched from elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REF = "#/components/schemas/"
METHODS = ("get", "post", "put", "patch", "delete")
# How deep a body's fields are listed before a nested object is named instead.
MAX_DEPTH = 3


@dataclass(frozen=True)
class Field:
    name: str  # dotted, e.g. "patient.email"
    type: str  # for people: "text", "list of Slot", "whole number or null"
    required: bool
    description: str = ""
    link: str | None = None  # the schema it refers to, if any
    depth: int = 0


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    schema: str | None  # a component's name, or "object" / None
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    staff: bool
    parameters: tuple[Field, ...]
    body: tuple[Field, ...]
    body_schema: str | None
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class Section:
    tag: str
    description: str
    operations: list[Operation] = field(default_factory=list)


@dataclass(frozen=True)
class Schema:
    name: str
    description: str
    fields: tuple[Field, ...]


def ref_name(schema: dict) -> str | None:
    target = schema.get("$ref", "")
    return target.removeprefix(REF) if target.startswith(REF) else None


def type_text(schema: dict) -> tuple[str, str | None]:
    """What a value is, in words, and the schema it names (for a link)."""
    if name := ref_name(schema):
        return name, name
    if "const" in schema:
        value = schema["const"]
        return (f'"{value}"' if isinstance(value, str) else f"always {str(value).lower()}"), None

    if "anyOf" in schema:
        parts = [type_text(option) for option in schema["anyOf"]]
        link = next((linked for _, linked in parts if linked), None)
        return " or ".join(text for text, _ in parts), link
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"]), None
    return container_text(schema) or (scalar_text(schema), None)


def container_text(schema: dict) -> tuple[str, str | None] | None:
    """A list, or a map from text to values; None for anything else."""
    kind = schema.get("type")
    if kind == "array":
        inner, link = type_text(schema.get("items", {}))
        return f"list of {inner}", link
    extra = schema.get("additionalProperties")
    if kind == "object" and isinstance(extra, dict) and not schema.get("properties"):
        inner, link = type_text(extra)
        return f"map of text to {inner}", link
    return None


def scalar_text(schema: dict) -> str:
    kind = schema.get("type")
    words = {
        "string": "text",
        "integer": "whole number",
        "number": "number",
        "boolean": "true or false",
        "object": "object",
        "null": "null",
    }
    text = words.get(kind, "any value")
    if schema.get("format") == "date":
        text = "date (YYYY-MM-DD)"
    elif schema.get("format") == "date-time":
        text = "time with offset (ISO 8601)"
    elif schema.get("pattern") and kind == "string" and "examples" in schema:
        text = f"text like {schema['examples'][0]}"
    return text


def limits(schema: dict) -> str:
    notes = []
    for key, words in (("minimum", "at least"), ("maximum", "at most")):
        if key in schema:
            notes.append(f"{words} {schema[key]}")
    if "maxLength" in schema:
        notes.append(f"at most {schema['maxLength']} characters")
    if "maxItems" in schema:
        notes.append(f"{schema.get('minItems', 0)} to {schema['maxItems']} items")
    return ", ".join(notes)


def fields_of(schema: dict, prefix: str = "", depth: int = 0) -> list[Field]:
    """The fields of an object schema, nested objects opened up to MAX_DEPTH."""
    rows = []
    required = set(schema.get("required", ()))
    for name, sub in schema.get("properties", {}).items():
        text, link = type_text(sub)
        described = sub.get("description", "")
        if note := limits(sub):
            described = f"{described} ({note})" if described else note.capitalize() + "."
        rows.append(Field(prefix + name, text, name in required, described, link, depth))
        opened = sub if sub.get("type") == "object" else None
        if opened and opened.get("properties") and depth < MAX_DEPTH:
            rows.extend(fields_of(opened, f"{prefix}{name}.", depth + 1))
    return rows


def parameter_fields(parameters: list[dict]) -> tuple[Field, ...]:
    rows = []
    for p in parameters:
        text, link = type_text(p.get("schema", {}))
        where = "in the path" if p["in"] == "path" else "query"
        rows.append(
            Field(
                p["name"],
                f"{text}, {where}",
                p.get("required", False),
                p.get("description", ""),
                link,
            )
        )
    return tuple(rows)


def answers_of(responses: dict) -> tuple[Answer, ...]:
    rows = []
    for status, body in responses.items():
        schema = body.get("content", {}).get("application/json", {}).get("schema")
        name = None
        if schema is not None:
            name, _ = type_text(schema)
        rows.append(
            Answer(status, body.get("description", ""), name, tuple(body.get("headers", ())))
        )
    return tuple(rows)


def body_of(operation: dict) -> tuple[tuple[Field, ...], str | None]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return (), None
    if name := ref_name(schema):
        return (), name
    return tuple(fields_of(schema)), None


def operation_of(method: str, path: str, op: dict) -> Operation:
    body, body_schema = body_of(op)
    return Operation(
        method=method.upper(),
        path=path,
        anchor=op.get("operationId", f"{method}-{path}"),
        summary=op.get("summary", ""),
        description=op.get("description", ""),
        staff=bool(op.get("security")),
        parameters=parameter_fields(op.get("parameters", [])),
        body=body,
        body_schema=body_schema,
        answers=answers_of(op.get("responses", {})),
    )


def sections(document: dict) -> list[Section]:
    """Every operation under its first tag, in the document's order of tags."""
    by_tag = {t["name"]: Section(t["name"], t.get("description", "")) for t in document["tags"]}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                tag = (op.get("tags") or ["Other"])[0]
                by_tag.setdefault(tag, Section(tag, "")).operations.append(
                    operation_of(method, path, op)
                )
    return [section for section in by_tag.values() if section.operations]


def schemas(document: dict) -> list[Schema]:
    found = document.get("components", {}).get("schemas", {})
    return [
        Schema(name, schema.get("description", ""), tuple(fields_of(schema)))
        for name, schema in found.items()
    ]


@dataclass(frozen=True)
class Block:
    """A paragraph or a list of the document's descriptions, as spans to show."""

    kind: str  # "p" or "ul"
    items: tuple[tuple[tuple[str, str], ...], ...]  # each line's spans


def spans(line: str) -> tuple[tuple[str, str], ...]:
    """`code` and **strong** in a line of text: (kind, text) pairs, kind "", "code", "strong".
    The template escapes every text."""
    out: list[tuple[str, str]] = []
    for i, chunk in enumerate(line.split("`")):
        if i % 2:
            out.append(("code", chunk))
            continue
        for j, part in enumerate(chunk.split("**")):
            if part:
                out.append(("strong" if j % 2 else "", part))
    return tuple(out)


def blocks(text: str) -> list[Block]:
    """The Markdown the document's descriptions use (paragraphs, `-` lists, `code`,
    **strong**), nothing more."""
    result = []
    for chunk in text.strip().split("\n\n"):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if lines and all(line.startswith("- ") for line in lines):
            result.append(Block("ul", tuple(spans(line[2:]) for line in lines)))
        elif lines:
            result.append(Block("p", (spans(" ".join(lines)),)))
    return result
