"""Where the worker may send, and with which secrets: the rules the configuration can't loosen.

An administrator edits ``notify.yaml`` and the agencies' ``webhook_url`` / ``webhook_secret_env``,
so those values must not let an edit read any secret of the deployment or reach its internal
network:

- **Secrets by prefix.** A configuration names environment variables, never values, and only
  names under :data:`SMTP_ENV_PREFIX` (the mail account) or :data:`WEBHOOK_ENV_PREFIX` (an
  agency's signing key): ``DATABASE_URL`` or ``SECRET_KEY`` can't be sent anywhere.
- **Webhooks to public addresses.** A webhook goes to an address on the public Internet, checked
  after DNS resolution, at each connection; loopback, private (RFC 1918, unique local),
  link-local (cloud metadata at ``169.254.169.254``), shared, reserved and multicast addresses
  are refused unless :data:`WEBHOOK_ALLOW_ENV`, set by the deployment (not the configuration),
  names them: ``PHANANH_WEBHOOK_ALLOW=127.0.0.1,10.0.0.0/8``.

The checks here do no I/O except :func:`connect` (the guarded connection the webhook sender
opens); the validation of a configuration uses :func:`literal_addresses`, which never asks DNS.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

SMTP_ENV_PREFIX = "PHANANH_SMTP_"
WEBHOOK_ENV_PREFIX = "PHANANH_WEBHOOK_"
#: The deployment's list of internal addresses and networks that webhooks may reach.
WEBHOOK_ALLOW_ENV = "PHANANH_WEBHOOK_ALLOW"
#: Host names that are this machine whatever DNS says (RFC 6761).
LOCAL_NAMES = ("localhost", "localhost.localdomain")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[..., Sequence[tuple[Any, ...]]]


class RefusedAddress(Exception):
    """A webhook target the deployment does not allow; the message says which and how to allow."""


def env_name_problem(name: str, prefix: str) -> str | None:
    """Why ``name`` may not hold a secret of this kind (Vietnamese), or ``None`` when it may."""
    if name.startswith(prefix) and len(name) > len(prefix):
        return None
    return (
        f"tên biến môi trường '{name}' không được phép: chỉ dùng biến bắt đầu bằng {prefix} "
        f"(ví dụ {prefix}PASSWORD), để cấu hình không đọc được bí mật khác của hệ thống"
    )


def allowed_networks(environ: Mapping[str, str]) -> tuple[Network, ...]:
    """The networks of :data:`WEBHOOK_ALLOW_ENV` (``127.0.0.1,10.0.0.0/8``; empty: none).

    Raises :class:`ValueError` naming an entry that is not an address or network.
    """
    networks = []
    for entry in (environ.get(WEBHOOK_ALLOW_ENV) or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"{WEBHOOK_ALLOW_ENV}: '{entry}' không phải địa chỉ IP hay dải mạng "
                "(ví dụ 127.0.0.1,10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _plain(address: Address) -> Address:
    """An IPv4 address written as IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def internal(address: Address) -> bool:
    """Not an address of the public Internet: loopback, private, link-local, reserved, …"""
    address = _plain(address)
    return not address.is_global or address.is_multicast


def loopback(host: str) -> bool:
    """``host`` is this machine, known without DNS (``localhost``, ``127.0.0.1``, ``::1``)."""
    found = host_addresses(host)
    return bool(found) and all(_plain(a).is_loopback for a in found)


def refused(address: Address, allow: Iterable[Network]) -> bool:
    address = _plain(address)
    return internal(address) and not any(address in network for network in allow)


def refusal(host: str, address: Address) -> str:
    return (
        f"địa chỉ webhook {host} ({address}) là địa chỉ nội bộ (loopback, mạng riêng, link-local "
        f"hoặc metadata) nên không được gọi; nếu đúng là hệ thống của cơ quan trong mạng nội bộ, "
        f"người vận hành thêm nó vào biến môi trường {WEBHOOK_ALLOW_ENV}"
    )


def literal_addresses(url: str) -> list[Address]:
    """The addresses a URL's host stands for without asking DNS (see :func:`host_addresses`)."""
    return host_addresses(urlsplit(url).hostname or "")


def host_addresses(host: str) -> list[Address]:
    """The addresses ``host`` stands for without asking DNS: an IP in any spelling that the
    system accepts (``127.1``, ``2130706433``, ``::1``), or ``localhost``; else none."""
    host = host.strip("[]").rstrip(".").lower()
    if not host:
        return []
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def connect(
    address: tuple[str, int],
    timeout: float | object,
    source_address: tuple[str, int] | None,
    *,
    allow: Sequence[Network],
    resolve: Resolver,
) -> socket.socket:
    """``socket.create_connection`` that resolves once, refuses the whole host if any of its
    addresses is refused, and connects only to the addresses it checked (no second lookup a
    DNS answer could change in between)."""
    host, port = address
    infos = resolve(host, port, type=socket.SOCK_STREAM)
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if refused(ip, allow):
            raise RefusedAddress(refusal(host, ip))
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                sock.settimeout(timeout)  # type: ignore[arg-type]
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    raise error or OSError(f"không tìm được địa chỉ của {host}")
