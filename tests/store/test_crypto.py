"""The keyring: Fernet keys from UABOT_SECRET_KEYS, the first encrypts, all decrypt."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken

from bot.store.crypto import Keyring, MissingKeyError, generate_key


def _keyring(*keys: str) -> Keyring:
    ring = Keyring()
    ring.configure(list(keys))
    return ring


def test_a_value_comes_back_as_it_went_in_but_is_stored_as_fernet_ciphertext() -> None:
    key = generate_key()
    token = _keyring(key).encrypt("Cell 17, Block B")
    assert "Cell 17" not in token
    assert Fernet(key.encode()).decrypt(token.encode()).decode() == "Cell 17, Block B"
    assert _keyring(key).decrypt(token) == "Cell 17, Block B"


def test_the_same_value_encrypts_differently_each_time() -> None:
    ring = _keyring(generate_key())
    assert ring.encrypt("same") != ring.encrypt("same")


def test_an_unconfigured_keyring_neither_encrypts_nor_decrypts() -> None:
    ring = Keyring()
    assert not ring.configured
    with pytest.raises(MissingKeyError, match="UABOT_SECRET_KEYS"):
        ring.encrypt("secret")
    with pytest.raises(MissingKeyError):
        ring.decrypt("gAAAAA")
    with pytest.raises(MissingKeyError):
        ring.is_current("gAAAAA")


def test_configuring_no_keys_leaves_the_keyring_unconfigured() -> None:
    ring = _keyring(generate_key())
    ring.configure([])
    assert not ring.configured
    with pytest.raises(MissingKeyError):
        ring.encrypt("secret")


def test_the_missing_key_message_never_contains_the_value() -> None:
    with pytest.raises(MissingKeyError) as raised:
        Keyring().encrypt("CANARY-whereabouts")
    assert "CANARY" not in str(raised.value)


def test_after_rotation_old_values_still_decrypt_and_new_ones_use_the_new_key() -> None:
    old, new = generate_key(), generate_key()
    old_token = _keyring(old).encrypt("before rotation")
    rotated = _keyring(new, old)
    assert rotated.decrypt(old_token) == "before rotation"
    assert rotated.is_current(old_token) is False
    new_token = rotated.encrypt("after rotation")
    assert rotated.is_current(new_token) is True
    assert Fernet(new.encode()).decrypt(new_token.encode()) == b"after rotation"


def test_a_value_encrypted_with_an_unknown_key_does_not_decrypt() -> None:
    token = _keyring(generate_key()).encrypt("secret")
    with pytest.raises(InvalidToken):
        _keyring(generate_key()).decrypt(token)


def test_a_malformed_key_is_refused_when_configured() -> None:
    with pytest.raises(ValueError):
        _keyring("not-a-fernet-key")
