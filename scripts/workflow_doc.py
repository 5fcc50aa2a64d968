"""Write docs/workflow.md from the workflow table (``--check``: exit 1 if it is out of date)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.workflow.diagram import markdown

TARGET = Path(__file__).resolve().parents[1] / "docs" / "workflow.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = markdown()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date: run python scripts/workflow_doc.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
