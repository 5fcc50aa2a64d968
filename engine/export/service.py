"""Running an export: check, record, read in batches, write, complete the record (Đ12.1, R23).

:meth:`Exporter.write` writes to a file the caller opened (the CLI's, or the web's temporary
file for XLSX and zips); :meth:`Exporter.stream` yields a CSV or JSONL export chunk by chunk,
for a download that starts before the last report is read. With the media the file is a zip:
the export file, each attachment under ``media/<code>/<id>.<ext>``, and ``SHA256SUMS`` — one
``<sha256>  <name>`` line per file (``sha256sum -c SHA256SUMS`` checks it).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO, Any

from engine.config.snapshot import Snapshot
from engine.export import formats, reading
from engine.export import register as records
from engine.export.request import IDENTITY_READERS, ExportRequest, check_exporter
from engine.services.lifecycle import Actor
from engine.store import UnitOfWork

MANIFEST = "SHA256SUMS"
#: The media on record whose file is not in the store, one name a line (only when there are any).
MISSING = "media-thieu.txt"
COPY_CHUNK = 1 << 16


@dataclass(frozen=True)
class Written:
    record_id: int
    rows: int
    identities: int
    media: int = 0
    missing: tuple[str, ...] = ()


@dataclass
class _Tally:
    rows: int = 0
    identities: int = 0


class Exporter:
    def __init__(
        self,
        uow: UnitOfWork,
        snapshot: Snapshot,
        zone: tzinfo,
        media_root: str | Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow, self.snapshot, self.zone, self.clock = uow, snapshot, zone, clock
        self.media_root = Path(media_root) if media_root is not None else None

    def _reports(self, actor: Actor, request: ExportRequest, tally: _Tally) -> Iterator[Any]:
        with self.uow.read() as session:
            for report in reading.reports(
                session,
                self.snapshot,
                request,
                self.zone,
                with_identity=actor.role in IDENTITY_READERS,
            ):
                tally.rows += 1
                tally.identities += report["reporter"] is not None
                yield report

    def _output(self, actor: Actor, request: ExportRequest, tally: _Tally) -> Iterator[Any]:
        for report in self._reports(actor, request, tally):
            yield formats.for_output(report, with_media=False)

    def stream(self, actor: Actor, request: ExportRequest) -> Iterator[bytes]:
        """A CSV or JSONL export without media, chunk by chunk, recorded when the last is sent."""
        check_exporter(actor.role)
        assert request.format in ("csv", "jsonl") and not request.with_media, request
        record_id = records.begin(self.uow, actor, request, self.clock())
        tally = _Tally()
        yield from _chunks(request.format, self._output(actor, request, tally))
        records.finish(self.uow, record_id, tally.rows, tally.identities, self.clock())

    def write(self, actor: Actor, request: ExportRequest, target: IO[bytes]) -> Written:
        """The whole export into ``target`` (a zip when the media go with it)."""
        check_exporter(actor.role)
        record_id = records.begin(self.uow, actor, request, self.clock())
        tally = _Tally()
        if not request.with_media:
            _write_data(request.format, self._output(actor, request, tally), target)
            records.finish(self.uow, record_id, tally.rows, tally.identities, self.clock())
            return Written(record_id, tally.rows, tally.identities)
        media, missing = self._bundle(actor, request, tally, target)
        records.finish(self.uow, record_id, tally.rows, tally.identities, self.clock())
        return Written(record_id, tally.rows, tally.identities, media, tuple(missing))

    def _bundle(
        self, actor: Actor, request: ExportRequest, tally: _Tally, target: IO[bytes]
    ) -> tuple[int, list[str]]:
        """The zip: media copied in as their reports go by, the export file and the sums last."""
        media, missing = 0, []
        with (
            tempfile.TemporaryFile() as data,
            tempfile.TemporaryFile() as sums,
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle,
        ):

            def with_media() -> Iterator[Any]:
                nonlocal media
                for report in self._reports(actor, request, tally):
                    for attachment in report["attachments"]:
                        name = formats.media_name(report["code"], attachment)
                        source = self._source(attachment["path"])
                        if source is None:
                            missing.append(name)
                            continue
                        digest = _copy_in(bundle, source, name)
                        sums.write(f"{digest}  {name}\n".encode())
                        media += 1
                    yield formats.for_output(report, with_media=True)

            _write_data(request.format, with_media(), data)
            data.seek(0)
            digest = _copy_in(bundle, data, request.data_name)
            sums.write(f"{digest}  {request.data_name}\n".encode())
            if missing:
                lines = "".join(f"{name}\n" for name in missing).encode()
                bundle.writestr(MISSING, lines)
                sums.write(f"{hashlib.sha256(lines).hexdigest()}  {MISSING}\n".encode())
            sums.seek(0)
            with bundle.open(MANIFEST, "w") as manifest:
                shutil.copyfileobj(sums, manifest)
        return media, missing

    def _source(self, relative: str) -> IO[bytes] | None:
        if self.media_root is None:
            return None
        path = (self.media_root / relative).resolve()
        if not path.is_relative_to(self.media_root.resolve()) or not path.is_file():
            return None
        return path.open("rb")


def _chunks(format: str, reports: Iterator[Any]) -> Iterator[bytes]:
    return formats.jsonl(reports) if format == "jsonl" else formats.csv_rows(reports)


def _write_data(format: str, reports: Iterator[Any], target: IO[bytes]) -> None:
    if format == "xlsx":
        formats.xlsx(reports, target)
        return
    for chunk in _chunks(format, reports):
        target.write(chunk)


def _copy_in(bundle: zipfile.ZipFile, source: IO[bytes], name: str) -> str:
    """Copy ``source`` into the zip as ``name``; the SHA-256 of what was copied."""
    digest = hashlib.sha256()
    with source, bundle.open(name, "w", force_zip64=True) as member:
        while chunk := source.read(COPY_CHUNK):
            digest.update(chunk)
            member.write(chunk)
    return digest.hexdigest()
