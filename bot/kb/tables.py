"""Read and write table files (CSV in UTF-8/GBK, XLSX) as rows of text cells.

Rows keep the 1-based row number a spreadsheet shows, so problems can point editors at the
right line. This module knows nothing about FAQ columns; the loader and importer do.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InputError

log = logging.getLogger(__name__)

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
TABLE_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES
# A real answer is a few KB; 32 MiB only guards against a runaway unbalanced quote.
CSV_FIELD_LIMIT = 32 * 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or an encrypted .xlsx
_SAVE_AS_HINT = "请在 Excel 或 WPS 里“另存为” .xlsx 或 “CSV UTF-8” 后再试"


@dataclass(frozen=True)
class TableRow:
    number: int  # 1-based, as a spreadsheet shows it
    cells: tuple[str, ...]

    def cell(self, index: int) -> str:
        return self.cells[index] if 0 <= index < len(self.cells) else ""


@dataclass(frozen=True)
class Table:
    source: str  # how problems name the file
    header: tuple[str, ...]
    header_row: int
    rows: tuple[TableRow, ...]  # data rows only; blank rows are left out

    def index_of(self, name: str) -> int | None:
        """The first column whose header is `name` (exact, then case-insensitive)."""
        for exact in (True, False):
            for i, cell in enumerate(self.header):
                if cell == name if exact else cell.casefold() == name.casefold():
                    return i
        return None


def read_table(
    path: Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
) -> Table:
    """Read a CSV/TSV or XLSX file; `encoding` and `delimiter` apply to CSV, `sheet` to XLSX."""
    source = str(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InputError(f"{source}：旧版 Excel (.xls) 格式不支持；{_SAVE_AS_HINT}")
    if suffix not in TABLE_SUFFIXES:
        raise InputError(
            f"{source}：不认识的文件类型 {path.suffix or '（无扩展名）'}；"
            f"请用 {', '.join(TABLE_SUFFIXES)} 之一"
        )
    if not path.is_file():
        raise InputError(f"{source}：文件不存在或不是普通文件；检查路径")
    try:
        if suffix in XLSX_SUFFIXES:
            from bot.kb import xlsx  # openpyxl is imported only when an xlsx is read

            records = xlsx.read_records(path, source, sheet)
        else:
            records = _read_csv_records(path.read_bytes(), source, encoding, delimiter)
    except OSError as err:
        raise InputError(f"{source}：无法读取（{err.strerror or err}）；检查文件权限") from err
    return _make_table(source, records)


def decode_text(data: bytes, source: str, encoding: str | None = None) -> str:
    """Decode a text file: the given encoding, else a BOM, else UTF-8, else GB18030 (⊃ GBK)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as err:
            raise InputError(f"不认识的编码 {encoding!r}；常用的有 utf-8、gbk、gb18030") from err
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError as err:
            raise InputError(
                f"{source}：按 {encoding} 解码失败（第 {err.start} 字节）；"
                "换一个 --encoding，或不给 --encoding 让程序自动识别 UTF-8/GBK"
            ) from err
    head = data[:8]
    if head.startswith(_ZIP_MAGIC):
        raise InputError(f"{source}：这是 Excel (.xlsx) 文件而不是 CSV；把扩展名改为 .xlsx")
    if head.startswith(_OLE_MAGIC):
        raise InputError(f"{source}：这是旧版 Excel (.xls) 或加密的文件而不是 CSV；{_SAVE_AS_HINT}")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export is UTF-16 with a BOM.
        try:
            return data.decode("utf-16").removeprefix("\ufeff")
        except UnicodeDecodeError as err:
            raise InputError(f"{source}：UTF-16 文件已损坏（第 {err.start} 字节）") from err
    if b"\x00" in data[:65536]:
        raise InputError(f"{source}：不是文本文件（含二进制内容）；请导出为 CSV 或 .xlsx")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{source}：既不是 UTF-8 也不是 GBK/GB18030 编码（第 {err.start} 字节无法解码）；"
            "用 --encoding 指定编码，或另存为 “CSV UTF-8”"
        ) from err
    log.info("%s: decoded as GB18030 (not UTF-8)", source)
    return text


def _read_csv_records(
    data: bytes, source: str, encoding: str | None, delimiter: str | None
) -> list[tuple[int, tuple[str, ...]]]:
    text = decode_text(data, source, encoding)
    if not text.strip():
        raise InputError(f"{source}：文件是空的；第 1 行应当是表头，下面每行一条")
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)  # the csv module only has a process-wide limit
    # strict: without it an unclosed quote swallows every later row into one cell, silently.
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter or sniff_delimiter(text), strict=True
    )
    records: list[tuple[int, tuple[str, ...]]] = []
    try:
        # Row numbers count records, not lines: a quoted multi-line cell is one spreadsheet row.
        for number, cells in enumerate(reader, 1):
            records.append((number, tuple(cells)))
    except csv.Error as err:
        raise InputError(f"{source}：{_csv_problem(len(records) + 1, str(err))}") from err
    return records


def _csv_problem(row: int, error: str) -> str:
    """What a csv.Error means for an editor; `row` is the record the bad quote starts."""
    if error.startswith("unexpected end of data"):
        return f"引号未闭合：从第 {row} 行起的内容被当成了一个单元格，请检查这一行的引号"
    if "expected after" in error:
        return (
            f"引号位置不对：第 {row} 行有单元格在右引号后还有文字；"
            '整格内容都要放在引号里，内容里的引号写成两个 ""'
        )
    return f"第 {row} 行无法解析为 CSV（{error}）；检查引号是否成对、单元格是否过大"


def sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon, judged by the header line (headers rarely contain them)."""
    first = text.lstrip("\ufeff\r\n").split("\n", 1)[0]
    outside_quotes = first.replace('""', "").split('"')[::2]
    line = "".join(outside_quotes)
    counts = {d: line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _make_table(source: str, records: Sequence[tuple[int, tuple[str, ...]]]) -> Table:
    filled = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not filled:
        raise InputError(f"{source}：文件是空的；第 1 行应当是表头，下面每行一条")
    # The first non-blank row is the header; title rows above it are not supported.
    header_row, raw_header = filled[0]
    header = [c.strip().removeprefix("\ufeff").strip() for c in raw_header]
    while header and not header[-1]:
        header.pop()  # formatted but empty columns at the right of a sheet
    rows = tuple(TableRow(n, cells) for n, cells in filled[1:])
    return Table(source, tuple(header), header_row, rows)


def write_table(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    bom: bool = False,
) -> None:
    """Write a .csv (UTF-8, with a BOM for Excel if `bom`) or .xlsx file atomically."""
    write_tables([(path, header, rows)], bom=bom)


def write_tables(
    files: Sequence[tuple[Path, Sequence[str], Iterable[Sequence[str]]]], *, bom: bool = False
) -> None:
    """Write several tables; nothing is replaced until every one is written.

    Each goes to a temporary file beside its target first, then all are renamed over their
    targets (os.replace is atomic on one filesystem), so a failed write leaves the old files.
    """
    for path, _, _ in files:
        _check_writable(path)
    staged: list[tuple[Path, Path]] = []
    try:
        for path, header, rows in files:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            staged.append((tmp, path))
            _write_one(path.suffix.lower(), tmp, header, rows, bom)
            os.chmod(tmp, _file_mode(path))  # mkstemp makes 0600; keep a normal file's mode
        for tmp, path in staged:
            os.replace(tmp, path)
    except OSError as err:
        raise InputError(f"写入 {path} 失败（{err.strerror or err}）；原文件未改动") from err
    finally:
        for tmp, _ in staged:
            if tmp.exists():
                tmp.unlink()


def _check_writable(path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        raise InputError(f"{path}：只能写 .csv 或 .xlsx 文件，不能写 {path.suffix or '无扩展名'}")
    if not path.parent.is_dir():
        raise InputError(f"{path}：文件夹 {path.parent} 不存在；先创建它")


def _write_one(
    suffix: str, tmp: Path, header: Sequence[str], rows: Iterable[Sequence[str]], bom: bool
) -> None:
    if suffix in XLSX_SUFFIXES:
        from bot.kb import xlsx

        xlsx.write_rows(tmp, header, rows)
        return
    delimiter = "\t" if suffix == ".tsv" else ","
    with tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _file_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return 0o644  # reading the umask would mean setting it, which is process-global
