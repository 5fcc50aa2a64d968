"""The wheel's build step: ship the migrations and the default configuration inside the package.

Everything else is declared in ``pyproject.toml``. The repository keeps ``migrations/`` and
``config/`` at its root (the layout of the design); a wheel has no root beside its packages, so
they are copied into ``engine/_bundled/`` where :mod:`engine.resources` finds them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("migrations", "config")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


class BuildWithBundledData(build_py):
    """``build_py`` that also copies :data:`SHIPPED` into the built ``engine`` package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout's own folders
        target = Path(self.build_lib) / "engine" / "_bundled"
        for name in SHIPPED:
            shutil.copytree(ROOT / name, target / name, ignore=IGNORED, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithBundledData})
