"""Certificates as PDF: the certificate's HTML rendered by WeasyPrint with its own stylesheet
(static/css/certificate-pdf.css), so the PDF and the printed page come from one template.

WeasyPrint draws with the system's Pango and fonts. Where they are missing, the PDF is
unavailable (PdfUnavailable, with what to install) and the page can still be printed. Nothing is
fetched while rendering: the certificate has no image, and a URL in it is a link, not a
resource."""

from __future__ import annotations

from django.contrib.staticfiles import finders

STYLESHEET = "css/certificate-pdf.css"


class PdfUnavailable(Exception):
    """This server cannot draw PDFs; the message says what it lacks."""


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"A certificate fetches nothing ({url}).")


def pdf_of(html: str) -> bytes:
    try:
        import weasyprint
    except (OSError, ImportError) as error:  # its C libraries (Pango, HarfBuzz) are missing
        raise PdfUnavailable(
            "This server lacks the Pango text library that PDF certificates are drawn with "
            "(Debian: apt install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)."
        ) from error
    stylesheet = weasyprint.CSS(filename=finders.find(STYLESHEET))
    return weasyprint.HTML(string=html, url_fetcher=_refuse_fetch).write_pdf(
        stylesheets=[stylesheet]
    )
