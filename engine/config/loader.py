"""Loading a configuration directory: parse, validate every file, cross-check, build.

``load(directory)`` returns one immutable :class:`Snapshot` or raises :class:`ConfigInvalid`
carrying every error found — a bad file never half-replaces a good configuration.

Templates: ``templates/*.j2`` (the Phụ lục 2 result, required) and ``templates/mail/*.j2`` (the
worker's mails, one per kind of notice, optional here — the worker refuses to start without the
ones it needs); each is compiled and tried on its sample context, so a broken one is a
``FILE:LINE`` error. ``notify.yaml`` (optional, like ``portal.yaml``) configures the worker, and
``periodic.yaml`` (optional too) the reports it builds on schedule.

``load_files(files)`` validates the same files held in memory (``{"sectors.yaml": text, …}``, as a
configuration version keeps them in the database): every check is the same, and errors name the
files as given (``sectors.yaml:42``). ``config_files(directory)`` reads exactly the files ``load``
reads, in that form.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Mapping
from email.utils import getaddresses
from pathlib import Path

from engine import templates as sandbox
from engine.config import build
from engine.config import periodic as periodic_config
from engine.config.checks import check_notify, check_portal, cross_check
from engine.config.errors import ConfigError, ConfigInvalid
from engine.config.regulation import RESULT_TEMPLATE
from engine.config.schema import OPTIONAL_FILES, SCHEMA_FILES, validate
from engine.config.snapshot import Snapshot
from engine.config.source import Source, YamlSyntaxError, read_yaml
from engine.resources import default_config_directory

#: Where the configuration lives unless told otherwise.
DEFAULT_DIRECTORY = default_config_directory()


#: The names a configuration's files may have, relative to its directory.
FILE_NAME = re.compile(
    r"^(?:(?:sectors|areas|sla|portal|notify|periodic)\.yaml"
    r"|templates/(?:mail/)?[A-Za-z0-9_][A-Za-z0-9_.-]*\.j2)$"
)


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
    return _load(root, _display, str(root))


def config_files(directory: str | os.PathLike[str]) -> dict[str, str]:
    """The files ``load(directory)`` reads, by relative name (``templates/mail/digest.j2``)."""
    root = Path(directory)
    paths = [root / f"{name}.yaml" for name in SCHEMA_FILES + OPTIONAL_FILES]
    paths += sorted((root / "templates").glob("*.j2"))
    paths += sorted((root / "templates" / "mail").glob("*.j2"))
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in paths if p.is_file()
    }


def load_files(files: Mapping[str, str], source: str = "") -> Snapshot:
    """Validate and build a configuration given as ``{relative name: text}``.

    Errors name the files as given (``sectors.yaml:42``); a name that is not one of a
    configuration's files (``FILE_NAME``) is an error too, so nothing is silently left out.
    """
    unknown = [
        ConfigError(
            name,
            1,
            "",
            f"'{name}' không phải tệp của cấu hình (chỉ sectors, areas, sla, portal, notify, "
            "periodic.yaml và templates/*.j2, templates/mail/*.j2)",
            f"'{name}' is not a configuration file (only sectors, areas, sla, portal, "
            "notify, periodic.yaml and templates/*.j2, templates/mail/*.j2)",
        )
        for name in files
        if not FILE_NAME.match(name)
    ]
    if unknown:
        raise ConfigInvalid(unknown)
    with tempfile.TemporaryDirectory(prefix="phananh-config-") as scratch:
        root = Path(scratch)
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="") as out:
                out.write(text)
        return _load(root, lambda path: path.relative_to(root).as_posix(), source)


def _load(root: Path, display: Callable[[Path], str], origin: str) -> Snapshot:
    errors: list[ConfigError] = []
    sources: dict[str, Source] = {}
    for name in SCHEMA_FILES + OPTIONAL_FILES:
        path = root / f"{name}.yaml"
        shown = display(path)
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
    templates, template_errors = _templates(root / "templates", display)
    errors.extend(template_errors)
    if all(name in sources for name in SCHEMA_FILES):
        errors.extend(cross_check(sources["sectors"], sources["areas"], sources["sla"]))
    if "portal" in sources:
        errors.extend(check_portal(sources["portal"]))
    if "notify" in sources:
        errors.extend(_check_notify(sources["notify"]))
        errors.extend(check_notify(sources["notify"]))
    if "periodic" in sources:
        errors.extend(periodic_config.check(sources["periodic"]))
    if errors:
        raise ConfigInvalid(errors)
    return build.snapshot(
        sources["sectors"].data,
        sources["areas"].data,
        sources["sla"].data,
        templates,
        origin,
        sources["portal"].data if "portal" in sources else None,
        sources["notify"].data if "notify" in sources else None,
        sources["periodic"].data if "periodic" in sources else None,
    )


def _templates(
    folder: Path, display: Callable[[Path], str]
) -> tuple[dict[str, str], list[ConfigError]]:
    found: dict[str, str] = {}
    errors: list[ConfigError] = []
    for path in sorted(folder.glob("*.j2")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        problem = sandbox.check(text)
        if problem:
            errors.append(
                ConfigError(display(path), problem.line, "", problem.message_vi, problem.message_en)
            )
        found[path.name] = text
    mail = folder / "mail"
    for path in sorted(mail.glob("*.j2")) if mail.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        problem = sandbox.check_mail(path.name, text)
        if problem:
            errors.append(
                ConfigError(display(path), problem.line, "", problem.message_vi, problem.message_en)
            )
        found[f"mail/{path.name}"] = text
    if RESULT_TEMPLATE not in found:
        errors.append(
            ConfigError(
                display(folder / RESULT_TEMPLATE),
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
