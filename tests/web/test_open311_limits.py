"""Open311 ``POST requests``: a partner's key has a limit of its own, not its address's.

A partner's server sends the reports of many citizens, often from an address it shares (a NAT,
a cloud provider); anonymous clients are limited per address (``RATELIMIT_PUBLIC_POST``), a key
by its name (``RATELIMIT_API_KEY``) from whatever address it comes.
"""

from __future__ import annotations

import itertools

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine import apikeys
from engine.services.lifecycle import Lifecycle
from tests.apps import make_app

V2 = "/open311/v2"
FORM = {
    "service_code": "giao-thong-van-tai",
    "first_name": "Văn An",
    "last_name": "Nguyễn",
    "phone": "0909 123 456",
    "description": "Cống thoát nước trên đường Nguyễn Huệ bị vỡ nắp, rất nguy hiểm.",
    "lat": "10.2489",
    "long": "105.9611",
}
ADDRESSES = (f"10.77.{n}.{m}" for n, m in itertools.product(range(256), repeat=2))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_app(
        tmp_path_factory.mktemp("open311-limits"),
        RATELIMIT_PUBLIC_POST="2 per minute",
        RATELIMIT_API_KEY="4 per minute",
    )


def new_key(life: Lifecycle, name: str) -> str:
    with life.uow.begin() as session:
        return apikeys.create(session, name)


def send(client: FlaskClient, address: str, key: str | None = None) -> TestResponse:
    form = FORM if key is None else {**FORM, "api_key": key}
    return client.post(f"{V2}/requests.json", data=form, environ_base={"REMOTE_ADDR": address})


def test_a_key_is_limited_by_its_name_from_any_address(
    client: FlaskClient, life: Lifecycle
) -> None:
    key = new_key(life, "doi-tac-nhieu-may-chu")
    statuses = [send(client, next(ADDRESSES), key).status_code for _ in range(5)]
    assert statuses == [200] * 4 + [429]  # four a minute, wherever they come from
    # Another partner is not affected.
    assert send(client, next(ADDRESSES), new_key(life, "doi-tac-khac")).status_code == 200


def test_a_key_does_not_share_the_anonymous_limit_of_its_address(
    client: FlaskClient, life: Lifecycle
) -> None:
    shared = next(ADDRESSES)  # a partner behind the same address as some anonymous client
    assert [send(client, shared).status_code for _ in range(3)] == [403, 403, 429]
    key = new_key(life, "doi-tac-sau-nat")
    assert [send(client, shared, key).status_code for _ in range(4)] == [200] * 4
    assert send(client, shared).status_code == 429  # and the anonymous one is still limited


def test_an_unknown_key_is_limited_as_anonymous(client: FlaskClient, life: Lifecycle) -> None:
    """Guessing keys is no way around the limit: an unknown key is an address's request."""
    where = next(ADDRESSES)
    statuses = [send(client, where, f"khoa-doan-mo-{n}").status_code for n in range(3)]
    assert statuses == [403, 403, 429]
