"""The service's secret: encrypts the SMTP password (Fernet) and signs unsubscribe links.

``COMMUNICATIONS_SECRET_KEY`` (any string; a Fernet key is derived from it), else a random
key generated once into ``var/communications-secret.key`` for a one-machine install. Every
instance of the service must share it: a password encrypted by one is read by the others, and
a link signed by one is honoured by all. Changing it makes the stored SMTP password
unreadable (set it again) and old unsubscribe links invalid.
"""

import base64
import hashlib
import os
import secrets as random_secrets

from cryptography.fernet import Fernet, InvalidToken
from itsdangerous import BadSignature, URLSafeSerializer

from proofsheet_shared import config as env


def _configured_secret():
    configured = env.env("COMMUNICATIONS_SECRET_KEY")
    if configured:
        return configured
    path = env.var_dir() / "communications-secret.key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(random_secrets.token_urlsafe(48))
    return path.read_text().strip()


class Secrets:
    def __init__(self, secret=None):
        secret = secret or _configured_secret()
        derived = hashlib.sha256(("proofsheet-communications-fernet:" + secret).encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))
        self._signer = URLSafeSerializer(secret, salt="proofsheet-unsubscribe")

    def encrypt(self, text):
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def decrypt(self, token):
        if not token:
            return None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            return None

    def unsubscribe_token(self, email, client_id=None, campaign_id=None):
        return self._signer.dumps({"e": email, "c": client_id, "k": campaign_id})

    def read_unsubscribe_token(self, token):
        """``{"email", "client_id", "campaign_id"}``, or None if the token was not signed by us."""
        try:
            data = self._signer.loads(token)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("e"), str):
            return None
        return {"email": data["e"], "client_id": data.get("c"), "campaign_id": data.get("k")}


_cached = None


def get():
    global _cached
    if _cached is None:
        _cached = Secrets()
    return _cached
