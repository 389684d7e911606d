"""The docs page's words for the OpenAPI document's types and descriptions."""

from booking.presenters.api_docs import blocks, fields_of, sections, spans, type_text
from booking.views.openapi import document


def test_types_read_as_words_and_name_the_schema_they_link_to():
    assert type_text({"$ref": "#/components/schemas/Slot"}) == ("Slot", "Slot")
    assert type_text({"anyOf": [{"$ref": "#/components/schemas/Offer"}, {"type": "null"}]}) == (
        "Offer or null",
        "Offer",
    )
    assert type_text({"type": "array", "items": {"type": "string", "format": "date-time"}}) == (
        "list of time with offset (ISO 8601)",
        None,
    )
    assert type_text({"anyOf": [{"type": "integer"}, {"const": "any"}]})[0] == (
        'whole number or "any"'
    )
    assert type_text({"const": True})[0] == "always true"
    assert type_text({"type": "string", "enum": ["morning", "evening"]})[0] == (
        "one of morning, evening"
    )


def test_nested_fields_are_dotted_and_say_whether_they_are_required():
    schema = {
        "type": "object",
        "required": ["patient"],
        "properties": {
            "patient": {
                "type": "object",
                "required": ["email"],
                "properties": {"email": {"type": "string", "maxLength": 254}, "phone": {}},
            }
        },
    }
    rows = {row.name: row for row in fields_of(schema)}
    assert rows["patient"].required
    assert rows["patient.email"].required
    assert rows["patient.email"].description == "At most 254 characters."
    assert not rows["patient.phone"].required


def test_descriptions_keep_their_lists_code_and_emphasis_and_nothing_else():
    found = blocks("**Bold** start `code`.\n\n- `a`: one\n- `b`: two")
    assert found[0].kind == "p"
    assert found[0].items[0] == (("strong", "Bold"), ("", " start "), ("code", "code"), ("", "."))
    assert found[1].kind == "ul"
    assert [line[0] for line in found[1].items] == [("code", "a"), ("code", "b")]
    # Markup is text: the template escapes every span.
    assert spans("<script>") == (("", "<script>"),)


def test_every_operation_of_the_document_is_on_the_page_under_its_tag():
    listed = {(op.method, op.path) for s in sections(document()) for op in s.operations}
    assert ("POST", "/api/v1/bookings") in listed
    assert ("DELETE", "/api/v1/waitlist/{token}") in listed
    assert len(listed) == sum(len(item) for item in document()["paths"].values())
