"""The web widget's session credential: a signed, expiring token that names one conversation.

The widget keeps it in the store site's own storage and presents it when it opens
a session or a socket, so the chat never depends on a third-party cookie. The
conversation id inside is random and the signature is the gateway's, so a token
can only ever open the conversation it was issued for; "forget me on this device"
detaches that conversation, which revokes every token issued for it
(``IdentityStore.detached``).
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "web-session"
MAX_AGE_SECONDS = 180 * 24 * 3600
PREFIX = "web-"
# The socket's credential travels as a web-socket subprotocol: browsers cannot set headers on a
# socket, and a query string would land in access logs.
SUBPROTOCOL = "maru.v1"
TOKEN_SUBPROTOCOL = "maru.token."


class WebSessionTokens:
    """Issues and reads the widget's session tokens."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT)

    def issue(self, conversation: str) -> str:
        """A fresh token for the conversation (its age starts now)."""
        return self._serializer.dumps(conversation)

    def conversation(self, token: object) -> str | None:
        """The conversation a genuine, unexpired token names; None for anything else."""
        if not isinstance(token, str) or not token:
            return None
        try:
            value = self._serializer.loads(token, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return None
        return value if isinstance(value, str) and value.startswith(PREFIX) else None


def token_of_subprotocols(header: str | None) -> str | None:
    """The token a socket handshake offers in ``Sec-WebSocket-Protocol``, if any."""
    for offered in (header or "").split(","):
        offered = offered.strip()
        if offered.startswith(TOKEN_SUBPROTOCOL):
            return offered[len(TOKEN_SUBPROTOCOL) :]
    return None
