"""Crafted XLSX files: a zip bomb, and a sheet's XML rewritten, for import tests and benchmarks.

The bomb is written without ever holding or compressing its expanded sheet: one chunk of
rows is deflated once with a full flush (which resets the compressor, so every further copy
of the chunk deflates to the same bytes) and that output is repeated; the zip headers are
written by hand around it.
"""

import io
import struct
import zipfile
import zlib

import openpyxl

SHEET = "xl/worksheets/sheet1.xml"
_SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>"
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>axe</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>code</t></is></c></row>'
)
# Rows without a number are read as the next row, the way a spreadsheet writes them.
_ROW = b"<row><c><v>1</v></c></row>"
_SHEET_END = b"</sheetData></worksheet>"
_CHUNK_ROWS = 10_000
_DOS_DATE_TIME = (0, (2026 - 1980) << 9 | 1 << 5 | 1)


def _minimal_members() -> dict[str, bytes]:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_zip(members: list[tuple[str, list[bytes], int, int]]) -> bytes:
    """Return a zip of ``(name, deflated parts, crc, size)`` members (no zip64: < 4 GiB)."""
    output = io.BytesIO()
    central = []
    for name, parts, crc, size in members:
        offset = output.tell()
        compressed = sum(len(part) for part in parts)
        encoded = name.encode()
        output.write(
            struct.pack(
                "<4s2B4HL2L2H",
                b"PK\x03\x04",
                20,
                0,
                0,
                zipfile.ZIP_DEFLATED,
                *_DOS_DATE_TIME,
                crc,
                compressed,
                size,
                len(encoded),
                0,
            )  # fmt: skip
        )
        output.write(encoded)
        for part in parts:
            output.write(part)
        central.append(
            struct.pack(
                "<4s4B4HL2L5H2L",
                b"PK\x01\x02",
                20,
                0,
                20,
                0,
                0,
                zipfile.ZIP_DEFLATED,
                *_DOS_DATE_TIME,
                crc,
                compressed,
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )  # fmt: skip
            + encoded
        )
    start = output.tell()
    for record in central:
        output.write(record)
    output.write(
        struct.pack(
            "<4s4H2LH",
            b"PK\x05\x06",
            0,
            0,
            len(central),
            len(central),
            output.tell() - start,
            start,
            0,
        )  # fmt: skip
    )
    return output.getvalue()


def _deflated(data: bytes) -> tuple[list[bytes], int, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return [compressor.compress(data) + compressor.flush()], zlib.crc32(data), len(data)


def xlsx_bomb(rows: int = 40_000_000) -> bytes:
    """Return a valid XLSX whose first sheet holds ``rows`` data rows (multiple of 10,000).

    40 million rows expand to about 1 GB of XML and fit in about 2.7 MB.
    """
    chunk = _ROW * _CHUNK_ROWS
    copies, remainder = divmod(rows, _CHUNK_ROWS)
    if remainder:
        raise ValueError("rows must be a multiple of 10,000")
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = compressor.compress(_SHEET_START) + compressor.flush(zlib.Z_FULL_FLUSH)
    deflated_chunk = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert again == deflated_chunk  # the full flush made the copies identical
    end = compressor.compress(_SHEET_END) + compressor.flush()
    crc = zlib.crc32(_SHEET_START)
    for _ in range(copies):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(_SHEET_END, crc)
    size = len(_SHEET_START) + len(chunk) * copies + len(_SHEET_END)
    members = []
    for name, data in _minimal_members().items():
        if name == SHEET:
            members.append((name, [start, *[deflated_chunk] * copies, end], crc, size))
        else:
            members.append((name, *_deflated(data)))
    return _write_zip(members)


def rewrite_sheet(content: bytes, rewrite) -> bytes:
    """Return the XLSX ``content`` with its first sheet's XML passed through ``rewrite``."""
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, rewrite(data) if name == SHEET else data)
    return output.getvalue()
