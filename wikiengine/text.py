"""Normal form of page text: what is hashed, signed and stored."""

import hashlib
import unicodedata


def normalise_text(text: str) -> str:
    """Return `text` with LF line ends and Unicode NFC, so equal text hashes equally.

    Browsers post CRLF from a textarea and macOS input methods may produce NFD;
    both would otherwise give different digests for the same visible page.
    """
    unified = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", unified)


def sha256_hex(text: str) -> str:
    """Hex SHA-256 of the UTF-8 bytes of `text` (call on normalised text)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
