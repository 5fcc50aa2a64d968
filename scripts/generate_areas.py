"""Generate ``config/areas.yaml`` from the ``vietnam-provinces`` package.

The file lists one province's commune-level units (xã, phường, đặc khu — there is no district level
since 1 July 2025) and one People's Committee per unit, the agency that a route with
``area_committee: true`` reaches. It is generated, never typed by hand::

    python scripts/generate_areas.py                 # write config/areas.yaml (Vĩnh Long, 86)
    python scripts/generate_areas.py --province 80   # another province
    python scripts/generate_areas.py --check         # CI: exit 1 if the file is out of date

The output is deterministic: its header names the package version, not a date, so ``--check``
compares the whole file byte for byte. The generator itself is :mod:`engine.config.areas_import`,
which the administration's "nhập lại từ vietnam-provinces" (/admin/dia-ban/) calls too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.config.areas_import import ImportFailed
from engine.config.areas_import import generate as _generate

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "config" / "areas.yaml"
DEFAULT_PROVINCE = 86


def generate(province_code: int) -> str:
    """Render the file for ``province_code`` (see :mod:`engine.config.areas_import`)."""
    try:
        return _generate(province_code)
    except ImportFailed as exc:
        raise SystemExit(exc.message_en) from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--province",
        type=int,
        default=DEFAULT_PROVINCE,
        metavar="CODE",
        help=f"official province code (default {DEFAULT_PROVINCE}, Vĩnh Long)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        metavar="PATH",
        help="file to write or check (default config/areas.yaml)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the file differs from what would be generated",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    text = generate(args.province)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(
                f"{args.output} is out of date: run 'python scripts/generate_areas.py "
                f"--province {args.province} --output {args.output}' and commit the result.",
                file=sys.stderr,
            )
            return 1
        print(f"{args.output} is up to date.")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"Wrote {args.output}: {text.count('kind: ubnd_')} committees.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
