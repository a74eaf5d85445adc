"""Templates users write: checked at save time with the line of the problem, rendered in the
sandbox with autoescaping, CSS inlined and a text part made."""

import pytest

from communications import rendering
from proofsheet_shared.errors import ValidationError


def error_of(**fields):
    with pytest.raises(ValidationError) as info:
        rendering.check_template(fields)
    return info.value.fields


def test_a_good_template_passes():
    rendering.check_template(
        {
            "subject": "Hello {{ client.first_name }}",
            "html": "<p>{{ client.address.city }} {{ invoice.balance|money }}</p>\n"
            "{% for e in client.emails %}{{ e }}{% endfor %}{% set x = 1 %}{{ x }}",
        }
    )


def test_a_syntax_error_names_the_field_and_line():
    fields = error_of(html="<p>one</p>\n<p>{{ client.first_name </p>\n")
    assert list(fields) == ["html"] and fields["html"].startswith("line 2: syntax error")


def test_an_unknown_merge_field_names_its_line():
    fields = error_of(subject="Hi", html="<p>a</p>\n\n<p>{{ client.frist_name }}</p>")
    assert fields == {"html": "line 3: unknown merge field 'client.frist_name'"}
    assert error_of(subject="{{ clinet.first_name }}") == {"subject": "line 1: unknown merge field 'clinet'"}
    assert "client.address.town" in error_of(html="{{ client.address.town }}")["html"]


def test_the_sandbox_refuses_private_attributes():
    assert "not allowed" in error_of(html="{{ ''.__class__ }}")["html"]
    assert "not allowed" in error_of(html="{{ client['__class__'] }}")["html"]
    assert "not allowed" in error_of(html="{{ client.name.__class__.__mro__ }}")["html"]
    with pytest.raises(rendering.RenderError):
        rendering.render("{{ x.__class__ }}", {"x": ""})


def test_an_unknown_filter_is_a_syntax_error():
    assert "syntax error" in error_of(html="{{ client.name|nosuchfilter }}")["html"]


def test_rendering_escapes_inlines_css_and_makes_text():
    subject, html, text = rendering.render_email(
        "Hello {{ client.first_name }} & co",
        "<html><head><style>p.x { color: red }</style></head><body>"
        "<p class='x'>Dear {{ client.first_name }}</p>"
        "<a href='{{ unsubscribe_url }}'>unsubscribe</a></body></html>",
        {"client": {"first_name": "<b>Ann</b>"}, "unsubscribe_url": "https://x.test/u/1"},
    )
    assert subject == "Hello <b>Ann</b> & co"
    assert 'style="color: red;"' in html and "&lt;b&gt;Ann&lt;/b&gt;" in html and "<style>" not in html
    assert "Dear <b>Ann</b>" in text and "https://x.test/u/1" in text


def test_a_missing_record_is_a_render_error():
    with pytest.raises(rendering.RenderError) as info:
        rendering.render("{{ session.date }}", {"client": {}})
    assert "session" in str(info.value)


def test_roots_used():
    assert rendering.roots_used("{{ client.name }}", "{{ session.date }} {{ studio.name }}") == {
        "client",
        "session",
    }


def test_money():
    assert rendering.format_money(123456) == "1,234.56"
    assert rendering.format_money(-5, "jpy") == "-5"
    assert rendering.format_money(None) == ""
