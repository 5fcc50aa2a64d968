"""Loading a configuration directory: parse, validate every file, cross-check, build.

``load(directory)`` returns one immutable :class:`Snapshot` or raises :class:`ConfigInvalid`
carrying every error found — a bad file never half-replaces a good configuration.

Templates: ``templates/*.j2`` (the Phụ lục 2 result, required) and ``templates/mail/*.j2`` (the
worker's mails, one per kind of notice, optional here — the worker refuses to start without the
ones it needs); each is compiled and tried on its sample context, so a broken one is a
``FILE:LINE`` error. ``notify.yaml`` (optional, like ``portal.yaml``) configures the worker.
"""

from __future__ import annotations

import os
from email.utils import getaddresses
from pathlib import Path

from engine import templates as sandbox
from engine.config import build
from engine.config.checks import check_portal, cross_check
from engine.config.errors import ConfigError, ConfigInvalid
from engine.config.regulation import RESULT_TEMPLATE
from engine.config.schema import OPTIONAL_FILES, SCHEMA_FILES, validate
from engine.config.snapshot import Snapshot
from engine.config.source import Source, YamlSyntaxError, read_yaml

#: Where the configuration lives unless told otherwise.
DEFAULT_DIRECTORY = Path(os.environ.get("PHANANH_CONFIG", "config"))


def load(directory: str | os.PathLike[str] = DEFAULT_DIRECTORY) -> Snapshot:
    """Validate and build the configuration in ``directory``."""
    root = Path(directory)
    if not root.is_dir():
        raise ConfigInvalid(
            [
                ConfigError(
                    str(root),
                    1,
                    "",
                    "thư mục cấu hình không tồn tại",
                    "the configuration directory does not exist",
                )
            ]
        )
    errors: list[ConfigError] = []
    sources: dict[str, Source] = {}
    for name in SCHEMA_FILES + OPTIONAL_FILES:
        path = root / f"{name}.yaml"
        shown = _display(path)
        if not path.is_file() and name in OPTIONAL_FILES:
            continue
        if not path.is_file():
            errors.append(
                ConfigError(
                    shown, 1, "", f"thiếu tệp {name}.yaml", f"the file {name}.yaml is missing"
                )
            )
            continue
        try:
            source = read_yaml(path, shown)
        except YamlSyntaxError as exc:
            errors.append(
                ConfigError(exc.file, exc.line, "", f"lỗi cú pháp YAML: {exc.message}", exc.message)
            )
            continue
        problems = validate(name, source)
        errors.extend(problems)
        if not problems:
            sources[name] = source
    templates, template_errors = _templates(root / "templates")
    errors.extend(template_errors)
    if all(name in sources for name in SCHEMA_FILES):
        errors.extend(cross_check(sources["sectors"], sources["areas"], sources["sla"]))
    if "portal" in sources:
        errors.extend(check_portal(sources["portal"]))
    if "notify" in sources:
        errors.extend(_check_notify(sources["notify"]))
    if errors:
        raise ConfigInvalid(errors)
    return build.snapshot(
        sources["sectors"].data,
        sources["areas"].data,
        sources["sla"].data,
        templates,
        str(root),
        sources["portal"].data if "portal" in sources else None,
        sources["notify"].data if "notify" in sources else None,
    )


def _templates(folder: Path) -> tuple[dict[str, str], list[ConfigError]]:
    found: dict[str, str] = {}
    errors: list[ConfigError] = []
    for path in sorted(folder.glob("*.j2")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        problem = sandbox.check(text)
        if problem:
            errors.append(
                ConfigError(
                    _display(path), problem.line, "", problem.message_vi, problem.message_en
                )
            )
        found[path.name] = text
    mail = folder / "mail"
    for path in sorted(mail.glob("*.j2")) if mail.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        problem = sandbox.check_mail(path.name, text)
        if problem:
            errors.append(
                ConfigError(
                    _display(path), problem.line, "", problem.message_vi, problem.message_en
                )
            )
        found[f"mail/{path.name}"] = text
    if RESULT_TEMPLATE not in found:
        errors.append(
            ConfigError(
                _display(folder / RESULT_TEMPLATE),
                1,
                "",
                "thiếu mẫu hiển thị kết quả xử lý (Phụ lục 2)",
                "the result template of Phụ lục 2 is missing",
            )
        )
    return found, errors


def _check_notify(source: Source) -> list[ConfigError]:
    """The sender must be one address a mail server accepts, with or without a display name."""
    sender = ((source.data or {}).get("smtp") or {}).get("sender")
    if sender is None:
        return []
    parsed = getaddresses([sender])
    if len(parsed) == 1 and "@" in parsed[0][1] and " " not in parsed[0][1]:
        return []
    path = ["smtp", "sender"]
    return [
        ConfigError(
            source.file,
            source.line_of(path),
            "smtp.sender",
            f"người gửi '{sender}' không phải một địa chỉ thư, ví dụ "
            '"Phản ánh hiện trường Vĩnh Long <dttm@vinhlong.gov.vn>"',
            f"sender '{sender}' is not one e-mail address, e.g. \"Name <box@example.vn>\"",
        )
    ]


def _display(path: Path) -> str:
    """A path as the operator typed it, relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
