"""django-allauth's configuration of the district's identity providers (SOCIALACCOUNT_PROVIDERS),
built from the settings read from the environment (learning/settings.py, docs/sign-in.md)."""

from __future__ import annotations

# The attribute names ClassLink, ADFS/Entra ID and Shibboleth send; the person's id is the NameID.
SAML_ATTRIBUTES = {
    "email": [
        "email",
        "mail",
        "urn:oid:0.9.2342.19200300.100.1.3",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    ],
    "email_verified": ["email_verified"],
    "first_name": [
        "given_name",
        "givenName",
        "urn:oid:2.5.4.42",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    ],
    "last_name": [
        "family_name",
        "sn",
        "urn:oid:2.5.4.4",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    ],
}


def openid_connect(*, issuer: str, client_id: str, secret: str, name: str) -> dict:
    """One OpenID Connect provider (accounts/providers/district_oidc): authorization code with
    PKCE; the claims are read from the verified ID token, not the userinfo endpoint."""
    return {
        "district_oidc": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "district",
                    "name": name,
                    "client_id": client_id,
                    "secret": secret,
                    "settings": {"server_url": issuer, "fetch_userinfo": False},
                }
            ],
        }
    }


def saml(*, metadata_url: str, entity_id: str, name: str, organization: str, site_url: str) -> dict:
    """One SAML 2.0 identity provider, read from its metadata: signed assertions only, the
    audience and recipient checked (python3-saml, strict), and only sign-ins this service
    started (no unsolicited responses)."""
    return {
        "saml": {
            "APPS": [
                {
                    "name": name,
                    "provider_id": entity_id,
                    "client_id": organization,
                    "settings": {
                        "attribute_mapping": SAML_ATTRIBUTES,
                        "idp": {"entity_id": entity_id, "metadata_url": metadata_url},
                        "sp": {"entity_id": f"{site_url}/accounts/saml/{organization}/"},
                        "advanced": {
                            "strict": True,
                            "want_assertion_signed": True,
                            "reject_idp_initiated_sso": True,
                            # The test and development servers' host names have one label.
                            "allow_single_label_domains": True,
                            "metadata_cache_timeout": 3600,
                        },
                    },
                }
            ]
        }
    }
