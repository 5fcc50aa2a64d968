"""Who each agency names for the service (Đ14.1): warnings, never errors.

Điều 14 khoản 1: each handling agency names one leader (or a delegate) and one focal officer who
receive and handle field reports. The configuration stays valid without them (an agency may not
have named anyone yet, and the 2020 pilot's lists never did); the administration shows which
agencies that receive reports still lack one, so that the IOC can ask them.
"""

from __future__ import annotations

from engine.config.snapshot import Agency, Snapshot

ARTICLE = "Đ14.1"
NO_LEADER = "chưa có lãnh đạo phụ trách"
NO_FOCAL = "chưa có cán bộ đầu mối"


def receiving(snapshot: Snapshot) -> frozenset[str]:
    """The agencies the routing sends reports to: named by a rule, or a committee of an area."""
    codes = {route.agency for route in snapshot.routes if route.agency is not None}
    if any(route.area_committee for route in snapshot.routes):
        codes |= {a.code for a in snapshot.agencies.values() if a.area is not None}
    return frozenset(codes & set(snapshot.agencies))


def missing(agency: Agency) -> list[str]:
    """What ``agency`` has not named yet (Vietnamese), empty when it named both."""
    out = []
    if agency.leader is None:
        out.append(NO_LEADER)
    if not agency.focal_officers:
        out.append(NO_FOCAL)
    return out


def warnings(snapshot: Snapshot) -> dict[str, list[str]]:
    """For each agency that receives reports and lacks someone: what it lacks."""
    out = {}
    for code in sorted(receiving(snapshot)):
        lacking = missing(snapshot.agencies[code])
        if lacking:
            out[code] = lacking
    return out
