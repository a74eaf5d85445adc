"""Form letters (the Form Letter Builder): templates for one kind of record, printed as PDF.

One record makes one letter; many records make one PDF with each letter starting on a new
page. The built-in Photographer Job Sheet (``builtin = "job_sheet"``, made by the first
migration) prints a session's client, day and time, place, photographer, assistant and notes.
WeasyPrint is CPU work: the service runs :func:`render_pdf` in a native thread.
"""

from eventlet import patcher
from sqlalchemy import select

from proofsheet_shared.contracts.communications import FormLetterInSchema
from proofsheet_shared.errors import not_found
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from . import rendering
from .models import FormLetter
from .serialize import letter_to_dict

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
  @page {{ size: A4; margin: 18mm 16mm; }}
  body {{ font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #222; }}
  section.letter + section.letter {{ break-before: page; }}
</style></head><body>
{sections}
</body></html>"""


def get_row(session, letter_id, field="id"):
    row = session.get(FormLetter, letter_id)
    if row is None:
        raise not_found("form letter", letter_id, field)
    return row


def list_letters(session):
    return {
        "items": [
            letter_to_dict(r)
            for r in session.scalars(select(FormLetter).order_by(FormLetter.name, FormLetter.id))
        ]
    }


def create_letter(session, payload, user_id):
    data = load(FormLetterInSchema(), payload)
    rendering.check_template({"html": data["html"]})
    now = utcnow()
    row = FormLetter(
        name=data["name"],
        record_type=data["record_type"],
        html=data["html"],
        created_at=now,
        updated_at=now,
        created_by=user_id,
        updated_by=user_id,
    )
    session.add(row)
    session.flush()
    return letter_to_dict(row)


def update_letter(session, letter_id, payload, user_id):
    data = load(FormLetterInSchema(), payload, partial=True)
    row = get_row(session, letter_id)
    if "html" in data:
        rendering.check_template({"html": data["html"]})
    for name in ("name", "record_type", "html"):
        if data.get(name) is not None:
            setattr(row, name, data[name])
    row.updated_at, row.updated_by = utcnow(), user_id
    session.flush()
    return letter_to_dict(row)


def render_html(letter_html, contexts, title="Letters"):
    """The printable document: one section (page) per context."""
    sections = [
        f'<section class="letter">{rendering.render(letter_html, context)}</section>' for context in contexts
    ]
    return PAGE.format(title=title, sections="\n".join(sections))


_FONTS = {}
_FONTS_LOCK = patcher.original("threading").Lock()  # taken in tpool's native threads


def render_pdf(document_html):
    """The PDF of a document; one at a time per process, sharing one font configuration (made
    once: fontconfig's set-up is a good part of a one-page render)."""
    from weasyprint import HTML  # imported on first use: loading Pango takes a moment
    from weasyprint.text.fonts import FontConfiguration

    with _FONTS_LOCK:
        if "config" not in _FONTS:
            _FONTS["config"] = FontConfiguration()
        return HTML(string=document_html).write_pdf(font_config=_FONTS["config"])
