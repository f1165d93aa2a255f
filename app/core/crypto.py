"""Personal data at rest (PIPL): AES-256-GCM encryption, keyed blind indexes, masking for display."""

from __future__ import annotations

import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12
_PHONE = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII digits only: "١٣٨…" must not be a second account


class InvalidPhone(ValueError):
    """Not a mainland China mobile number."""


def encrypt_bytes(key: bytes, plaintext: bytes, purpose: str) -> bytes:
    """nonce || ciphertext; `purpose` (e.g. "phone") is bound as associated data so fields cannot be swapped."""
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, purpose.encode())


def decrypt_bytes(key: bytes, blob: bytes, purpose: str) -> bytes:
    return AESGCM(key).decrypt(blob[:_NONCE], blob[_NONCE:], purpose.encode())


def encrypt(key: bytes, plaintext: str, purpose: str) -> bytes:
    return encrypt_bytes(key, plaintext.encode(), purpose)


def decrypt(key: bytes, blob: bytes, purpose: str) -> str:
    return decrypt_bytes(key, blob, purpose).decode()


def blind_index(key: bytes, value: str, purpose: str) -> str:
    """A keyed hash for exact-match lookup; without the key it reveals nothing and cannot be brute-forced."""
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def normalise_phone(raw: str) -> str:
    """'+86 138-0013-8000' → '13800138000'; anything else raises InvalidPhone."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _PHONE.match(digits):
        raise InvalidPhone(raw)
    return digits


def mask_phone(prefix3: str | None, last4: str | None) -> str | None:
    if not prefix3 or not last4:
        return None
    return f"{prefix3}****{last4}"


def mask_name(name: str) -> str:
    """张三丰 → 张**; a one-character name stays as *."""
    if len(name) <= 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


def mask_id_number(number: str) -> str:
    """110101199003077777 → 1101**********7777."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
