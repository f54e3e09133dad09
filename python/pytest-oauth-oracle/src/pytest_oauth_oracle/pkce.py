"""PKCE (RFC 7636) for tests that play the client."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Optional, Tuple


def pkce_pair(verifier: Optional[str] = None) -> Tuple[str, str]:
    """`(code_verifier, code_challenge)` for `code_challenge_method=S256`; a random verifier
    (43 characters) unless one is given."""
    if verifier is None:
        verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge
