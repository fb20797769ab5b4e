"""The identity providers the sign-in tests start need programs from outside PyPI (node and npm
for oidc-provider, xmlsec1 for pysaml2): without them, a reason to skip on a developer's machine
and a failure in CI, which installs them (.ci/run)."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

# The roster files' district (buildings maple and oak; teacher, principal, counselor).
from tests.imports.conftest import district  # noqa: F401
from tests.sso.providers import ToolMissing
from tests.sso.saml_idp import XmlsecMissing


@contextmanager
def tools_present():
    try:
        yield
    except (ToolMissing, XmlsecMissing) as missing:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(str(missing))
        pytest.skip(str(missing))
