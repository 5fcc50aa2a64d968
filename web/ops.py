"""The operators' endpoints: ``/healthz`` for the load balancer, ``/metrics`` for Prometheus.

Both answer only to the networks of ``OPS_NETWORKS`` (the environment variable
``PHANANH_OPS_NETWORKS``, comma-separated addresses or CIDR blocks; loopback by default): they
say how busy the province is, which is not for the public. Behind a reverse proxy the client's
address is the proxy's unless ``PHANANH_PROXIES`` says how many proxies to trust
(:mod:`web.proxy`), so set that, or every client looks local.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from importlib import metadata

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from web import metrics, runtime

ops = Blueprint("ops", __name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_NETWORKS = "127.0.0.0/8,::1/128"


def parse_networks(value: str) -> list[Network]:
    """``"127.0.0.1, 10.0.0.0/8"`` → networks; a wrong entry is an error naming it."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(
                f"PHANANH_OPS_NETWORKS: '{item}' is not an address or network"
            ) from exc
    return networks


def init_app(app: Flask) -> None:
    networks = app.config.get("OPS_NETWORKS")
    if networks is None:
        networks = os.environ.get("PHANANH_OPS_NETWORKS", DEFAULT_NETWORKS)
    if isinstance(networks, str):
        networks = parse_networks(networks)
    app.config["OPS_NETWORKS"] = networks
    metrics.init_app(app)
    app.register_blueprint(ops)


def _allowed(address: str | None, networks: Sequence[Network]) -> bool:
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(client, ipaddress.IPv6Address) and client.ipv4_mapped:
        client = client.ipv4_mapped
    return any(client in network for network in networks)


@ops.before_request
def _only_operators() -> None:
    if not _allowed(request.remote_addr, current_app.config["OPS_NETWORKS"]):
        abort(404)  # as if absent: nothing to learn from outside


def _package_version() -> str:
    try:
        return metadata.version("phananh")
    except metadata.PackageNotFoundError:
        return "unknown"


@ops.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Alive, the database answering, and the configuration version in force; 503 otherwise."""
    lifecycle = runtime.lifecycle()
    body: dict[str, object] = {
        "status": "ok",
        "version": _package_version(),
        "config_version": lifecycle.config_version_id,
    }
    try:
        with lifecycle.uow.read() as session:
            session.execute(text("SELECT 1"))
        body["database"] = "ok"
    except SQLAlchemyError as exc:
        body.update(status="error", database=type(exc).__name__)
        return jsonify(body), 503
    return jsonify(body), 200


@ops.get("/metrics")
def prometheus() -> Response:
    return metrics.exposition(runtime.lifecycle().uow)
