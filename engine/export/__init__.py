"""Exports of the stored reports for state bodies on request (Đ12.1, R23), on a register.

The reporter's identity goes out only for a report on the register of disclosures (Đ13.7) and only
in an export by the role that discloses (:mod:`engine.export.request`).
"""

from engine.export.register import ExportLine, exports
from engine.export.request import EXPORTERS, FORMATS, ExportRequest, build_request, check_exporter
from engine.export.service import MANIFEST, Exporter, Written

__all__ = [
    "EXPORTERS",
    "FORMATS",
    "MANIFEST",
    "ExportLine",
    "ExportRequest",
    "Exporter",
    "Written",
    "build_request",
    "check_exporter",
    "exports",
]
