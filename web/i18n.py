"""Languages of the pages: Vietnamese first (the source text), English second (Flask-Babel).

The messages are written in Vietnamese in the templates and the code; ``web/translations`` holds
one gettext catalog per other language (``en/LC_MESSAGES/messages.po``). Nothing compiled is kept
in the repository: ``init_app`` compiles each ``.po`` with Babel (``read_po``/``write_mo``) into a
private temporary folder when the application starts, so a fresh ``pip install -e .`` works and a
catalog edit is live at the next start.

A visitor chooses the language with ``?lang=en`` or ``?lang=vi`` on any page; the choice is kept in
the session. Without a choice the pages are in Vietnamese (Đ5.1), whatever the browser asks for.

``python -m web.i18n`` lists the messages of the templates and the code that have no English
translation (the tests fail on any).
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlencode

from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale

DEFAULT = "vi"
LANGUAGES: dict[str, str] = {"vi": "Tiếng Việt", "en": "English"}
SOURCES = Path(__file__).resolve().parent / "translations"
#: Where the messages to translate are written: (folder, glob, extraction method).
MESSAGE_FILES = (
    ("templates", "base.html", "jinja2"),
    ("templates/portal", "*.html", "jinja2"),
    (".", "portal*.py", "python"),
    (".", "i18n.py", "python"),
)
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "ngettext": (1, 2)}

babel = Babel()


def compile_catalogs(source: Path = SOURCES, target: Path | None = None) -> Path:
    """Compile every ``<lang>/LC_MESSAGES/<domain>.po`` under ``source`` into ``target``.

    Without ``target`` a new private folder is made (removed when the process ends).
    """
    if target is None:
        target = Path(tempfile.mkdtemp(prefix="phananh-i18n-"))
        atexit.register(shutil.rmtree, target, ignore_errors=True)
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name, domain=po.stem)
        out = target / po.relative_to(source).with_suffix(".mo")
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
    return target


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        return chosen
    remembered = session.get("lang")
    return remembered if remembered in LANGUAGES else DEFAULT


def remember_language() -> None:
    """``?lang=en`` on any page switches the language for the rest of the visit."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and session.get("lang") != chosen:
        session["lang"] = chosen


def current_language() -> str:
    locale = get_locale() if has_request_context() else None
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT


def in_language(message_vi: str, message_en: str | None) -> str:
    """One of a domain error's two sentences, in the visitor's language."""
    return message_en if current_language() == "en" and message_en else message_vi


def language_url(lang: str) -> str:
    """The current page in another language, with its other query parameters kept."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    args.append(("lang", lang))
    return f"{request.path}?{urlencode(args)}"


def init_app(app: Flask) -> None:
    """Set up Flask-Babel for ``app`` (once; calling it again does nothing)."""
    if "babel" in app.extensions:
        return
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(compile_catalogs()))
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(remember_language)
    app.add_template_global(current_language, "current_language")
    app.add_template_global(language_url, "language_url")
    app.add_template_global(LANGUAGES, "languages")


# -- keeping the catalog complete ------------------------------------------------------------------


def messages(root: Path | None = None) -> Iterator[tuple[str, str, int]]:
    """Every message the templates and the code mark for translation: (text, file, line)."""
    root = root or Path(__file__).resolve().parent
    for folder, pattern, method in MESSAGE_FILES:
        for path in sorted((root / folder).glob(pattern)):
            with path.open("rb") as handle:
                options = {"extensions": "jinja2.ext.i18n"} if method == "jinja2" else {}
                found = extract(
                    "jinja2.ext:babel_extract" if method == "jinja2" else method,
                    handle,
                    keywords=KEYWORDS,
                    options=options,
                )
                for line, message, _comments, _context in found:
                    texts = message if isinstance(message, tuple) else (message,)
                    for text in texts:
                        if text:
                            yield text, str(path.relative_to(root)), line


def missing_translations(lang: str = "en", extra: Iterable[str] = ()) -> list[str]:
    """Messages (from the files, plus ``extra``) without a translation in ``lang``'s catalog."""
    with (SOURCES / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    wanted = {text: f"{where}:{line}" for text, where, line in messages()}
    wanted.update({text: "(data)" for text in extra if text not in wanted})
    out = []
    for text, where in sorted(wanted.items(), key=lambda item: item[1]):
        entry = catalog.get(text)
        translated = entry.string if entry is not None else None
        if isinstance(translated, tuple | list):
            translated = translated[0]
        if entry is None or not translated or entry.fuzzy:
            out.append(f"{where}: {text!r}")
    return out


if __name__ == "__main__":  # pragma: no cover - a maintainer's helper
    missing = missing_translations()
    print("\n".join(missing) or "Every message has an English translation.")
    sys.exit(1 if missing else 0)
