"""Where the migrations and the default configuration are, in a checkout or an installed wheel.

A province installs the wheel, not the repository, so the wheel carries both: the build step in
``setup.py`` copies the repository's ``migrations/`` and ``config/`` into ``engine/_bundled/``.
In a checkout (an editable install, the tests) nothing is copied and the repository's own
folders are used, so an edit there is seen at once.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The folder the wheel's build step fills; absent in a checkout.
BUNDLED = Path(__file__).resolve().parent / "_bundled"
#: The checkout's root, where ``migrations/`` and ``config/`` live beside the packages.
CHECKOUT = Path(__file__).resolve().parents[1]


def _shipped(name: str) -> Path:
    bundled = BUNDLED / name
    return bundled if bundled.is_dir() else CHECKOUT / name


def migrations_directory() -> Path:
    """The Alembic script directory: the wheel's copy, else the checkout's ``migrations/``."""
    return _shipped("migrations")


def shipped_config_directory() -> Path:
    """The configuration this release ships (Vĩnh Long's), whatever the province runs with."""
    return _shipped("config")


def default_config_directory() -> Path:
    """The configuration used when none is named.

    ``PHANANH_CONFIG`` if set; else ``config`` in the working directory when there is one (a
    checkout, or a province's own folder beside its database); else the configuration shipped
    with the package, Vĩnh Long's today, so that a fresh install validates and runs the demo.
    """
    named = os.environ.get("PHANANH_CONFIG")
    if named:
        return Path(named)
    local = Path("config")
    return local if local.is_dir() else _shipped("config")
