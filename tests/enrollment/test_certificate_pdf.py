"""Certificates as PDF: one US Letter page drawn by WeasyPrint from the certificate's own
template, holding the person's name, the course and the verification code; served to those who
may see the certificate and to nobody else; a server without Pango says so and offers the page."""

import io
import sys

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests import factories as f
from tests.enrollment.test_pages_participant import text

pytestmark = pytest.mark.django_db


def pdf_url(completion) -> str:
    return reverse("enrollment:certificate-pdf", args=[completion.pk])


def test_the_pdf_is_one_page_with_the_name_the_course_and_the_code(client, teacher):
    teacher.first_name, teacher.last_name = "José", "Núñez"
    teacher.save()
    completion = f.CompletionFactory(
        staff=teacher, course=f.CourseFactory(code="rp-101", title="Restorative Circles")
    )
    client.force_login(teacher.user)

    response = client.get(pdf_url(completion))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="certificate-rp-101-')
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(box.width), round(box.height)) == (792, 612)  # US Letter, landscape
    words = reader.pages[0].extract_text()
    assert "José Núñez" in words
    assert "Restorative Circles" in words
    assert completion.verification_code in words.replace(" ", "")


def test_a_voided_certificate_s_pdf_says_so(client, teacher, district_pd):
    completion = f.CompletionFactory(staff=teacher)
    from enrollment import services

    services.completion_void(completion=completion, actor=district_pd.user, reason="Twice.")
    client.force_login(teacher.user)

    words = PdfReader(io.BytesIO(client.get(pdf_url(completion)).content)).pages[0].extract_text()

    assert "VOIDED" in words


def test_nobody_else_gets_the_pdf(client, teacher, leader):
    completion = f.CompletionFactory(staff=leader)
    client.force_login(teacher.user)

    assert client.get(pdf_url(completion)).status_code == 404


def test_without_the_pdf_library_the_page_says_so_and_offers_printing(client, teacher, monkeypatch):
    completion = f.CompletionFactory(staff=teacher)
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    client.force_login(teacher.user)

    response = client.get(pdf_url(completion))

    assert response.status_code == 503
    assert "lacks the Pango text library" in text(response)
    assert reverse("enrollment:certificate", args=[completion.pk]) in response.content.decode()


def test_the_certificate_page_links_its_pdf(client, teacher):
    completion = f.CompletionFactory(staff=teacher)
    client.force_login(teacher.user)

    page = client.get(reverse("enrollment:certificate", args=[completion.pk])).content.decode()

    assert pdf_url(completion) in page
