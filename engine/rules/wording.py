"""What a rule's id means, in words, for the staff who see its decision.

Decisions carry the id of the rule that produced them (``giao-thong-van-tai``, ``state-secret``),
which is what the record keeps; a person reads what the rule says and the article behind it:
"Phụ lục 1 — phân công lĩnh vực Giao thông vận tải", "Liên quan bí mật nhà nước (Đ10.3)".
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.config.snapshot import Snapshot

#: The visibility rules (:func:`engine.rules.packs.visibility_pack`) and the routing choices made
#: by people rather than by a rule.
FIXED: Mapping[str, str] = MappingProxyType(
    {
        "state-secret": "Liên quan bí mật nhà nước: không công khai, không gửi kết quả (Đ10.3)",
        "confidential": "Người phản ánh yêu cầu giữ bí mật: chỉ trả lời riêng (Đ5.4, Đ10.2)",
        "public": "Công khai theo mẫu Phụ lục 2 (Đ5.4, Đ10.1)",
        "manual": "Chọn tay, khác quy tắc phân công (Đ7)",
        "designated": "Được chỉ định khi các cơ quan không thống nhất (Đ3.8)",
    }
)


def describe(snapshot: Snapshot, rule: str | None, *, suggestion: bool = False) -> str:
    """The rule ``rule`` in words; an id the configuration no longer knows is shown as it is.

    A sector suggestion's id is the sector's code, which is also the id of its route in the
    default configuration: ``suggestion`` says which of the two is meant.
    """
    if not rule:
        return ""
    if suggestion and rule in snapshot.sectors:
        return f"Gợi ý theo từ khóa của lĩnh vực {snapshot.sectors[rule].name} (Đ6)"
    if rule in FIXED:
        return FIXED[rule]
    route = next((r for r in snapshot.routes if r.id == rule), None)
    if route is not None:
        sector = snapshot.sectors.get(route.sector)
        named = sector.name if sector else route.sector
        narrowed = " (một số xã, phường)" if route.areas or route.area_kinds else ""
        return f"Phụ lục 1 — phân công lĩnh vực {named}{narrowed}"
    return rule
