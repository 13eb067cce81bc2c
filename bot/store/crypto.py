"""The keyring for restricted fields: Fernet keys from UABOT_SECRET_KEYS (the first encrypts)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class MissingKeyError(RuntimeError):
    """Restricted data was read or written with no key configured."""

    def __init__(self) -> None:
        super().__init__(
            "UABOT_SECRET_KEYS is not set: restricted fields cannot be read or written "
            "(create a key with `uabot keys generate`)"
        )


class Keyring:
    """Holds the process's keys; one instance, configured once at start-up."""

    def __init__(self) -> None:
        self._fernet: MultiFernet | None = None
        self._primary: Fernet | None = None

    def configure(self, keys: tuple[str, ...] | list[str]) -> None:
        fernets = [Fernet(key.encode()) for key in keys]
        self._fernet = MultiFernet(fernets) if fernets else None
        self._primary = fernets[0] if fernets else None

    @property
    def configured(self) -> bool:
        return self._fernet is not None

    def encrypt(self, plaintext: str) -> str:
        if self._fernet is None:
            raise MissingKeyError
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        if self._fernet is None:
            raise MissingKeyError
        return self._fernet.decrypt(token.encode()).decode()

    def is_current(self, token: str) -> bool:
        """True when the token was made with the primary key (rotation skips it)."""
        if self._primary is None:
            raise MissingKeyError
        try:
            self._primary.decrypt(token.encode())
        except InvalidToken:
            return False
        return True


def generate_key() -> str:
    return Fernet.generate_key().decode()


keyring = Keyring()
