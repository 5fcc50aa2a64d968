"""The workflow table drawn as a Mermaid state diagram and a Markdown table, for the docs."""

from __future__ import annotations

from engine.workflow.table import TABLE, Transition


def _who(row: Transition) -> str:
    return ", ".join(sorted(row.roles))


def mermaid() -> str:
    lines = ["stateDiagram-v2"]
    for row in TABLE:
        for source, target in _edges(row):
            lines.append(f"    {source} --> {target}: {row.action}")
    return "\n".join(lines)


def _edges(row: Transition) -> list[tuple[str, str]]:
    if row.creates:
        return [("[*]", str(row.target))]
    if row.target is None and not row.outcomes:
        return [(s, s) for s in sorted(row.sources)]
    return [(s, t) for s in sorted(row.sources) for t in sorted(row.targets())]


def markdown() -> str:
    """The whole page ``docs/workflow.md``, generated; do not edit it by hand."""
    rows = [
        "| action | from | to | who | article | note | requires | clocks |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in TABLE:
        target = " / ".join(sorted(row.targets())) if row.outcomes or row.target else "(same)"
        clocks = "; ".join(
            f"{verb} {', '.join(c.value for c in steps)}"
            for verb, steps in (
                ("start", row.start),
                ("stop", row.stop),
                ("pause", row.pause),
                ("resume", row.resume),
            )
            if steps
        )
        rows.append(
            f"| `{row.action}` | {', '.join(sorted(row.sources)) or '—'} | {target} | {_who(row)} "
            f"| {row.article} | {'yes' if row.note_required else ''} "
            f"| {', '.join(sorted(row.requires))} | {clocks} |"
        )
    return "\n".join(
        [
            "# The workflow of a field report",
            "",
            "Generated from `engine/workflow/table.py` by `python scripts/workflow_doc.py`;",
            "do not edit by hand (a test checks that it is current).",
            "",
            "```mermaid",
            mermaid(),
            "```",
            "",
            *rows,
            "",
        ]
    )
