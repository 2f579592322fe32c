"""What a stored document may be: its type read from its content, its size, its SHA-256.

The declared name and content type of an upload are not trusted: the first bytes decide
(PDF, PNG, JPEG, OOXML/ODF archives, CSV text). Nothing here touches the database.
"""

import hashlib
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
CSV = "text/csv"

EVIDENCE_TYPES = (PDF, PNG, JPEG, XLSX, DOCX, ODT, CSV)
SIGNED_DOCUMENT_TYPES = (PDF,)
TYPE_LABELS = {
    PDF: "PDF",
    PNG: "PNG",
    JPEG: "JPEG",
    XLSX: "XLSX",
    DOCX: "DOCX",
    ODT: "ODT",
    CSV: "CSV",
}
CHUNK_SIZE = 64 * 1024
CSV_SNIFF_BYTES = 8192


def _head(upload, size: int) -> bytes:
    upload.seek(0)
    head = upload.read(size)
    upload.seek(0)
    return head


def _zip_type(upload) -> str | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == ODT.encode():
                return ODT
            if "[Content_Types].xml" in names:
                if any(name.startswith("xl/") for name in names):
                    return XLSX
                if any(name.startswith("word/") for name in names):
                    return DOCX
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    finally:
        upload.seek(0)
    return None


def _is_csv_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sniffed block is still text.
        if error.start < len(head) - 3:
            try:
                text = head.decode("cp1252")
            except UnicodeDecodeError:
                return False
        else:
            text = head[: error.start].decode("utf-8")
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text):
        return False
    first_line = text.splitlines()[0] if text.splitlines() else ""
    return any(separator in first_line for separator in ";,\t")


def detect_content_type(upload) -> str | None:
    """Return the content type of ``upload`` read from its first bytes, or None if unknown."""
    head = _head(upload, CSV_SNIFF_BYTES)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(upload)
    if _is_csv_text(head):
        return CSV
    return None


def sha256_of(upload) -> str:
    """Return the hexadecimal SHA-256 of the whole file, leaving it rewound."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(CHUNK_SIZE), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def check_document(upload, *, allowed: tuple[str, ...] = EVIDENCE_TYPES) -> str:
    """Return the content type of an acceptable upload, else raise a French ValidationError."""
    limit = settings.DOCUMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("Le fichier dépasse la taille maximale autorisée (%(limit)s).")
            % {"limit": filesizeformat(limit)},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("Le fichier est vide."), code="empty")
    content_type = detect_content_type(upload)
    if content_type not in allowed:
        raise ValidationError(
            _("Type de fichier non accepté : seuls %(types)s sont acceptés.")
            % {"types": ", ".join(TYPE_LABELS[kind] for kind in allowed)},
            code="type",
        )
    return content_type
