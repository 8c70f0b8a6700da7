"""The 17TRACK, AfterShip and Kuaidi100 push receivers over real loopback HTTP into a real
database: only a push signed with the tracker's secret over the exact bytes is kept."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from daemon.http import aftership_webhook, kuaidi100_push, track17_push
from daemon.http.app import HttpContext, create_app
from daemon.http.kuaidi100_push import ACK
from daemon.http.track_push import push_secrets
from daemon.simulator.server import serve
from sync.clock import VirtualClock
from sync.connectors.aftership_parse import sign as aftership_sign
from sync.connectors.kuaidi100_parse import push_sign
from sync.connectors.track17_parse import sign as track17_sign
from sync.store import Store
from tests.conftest import T0, OrderFactory

FIXTURES = Path(__file__).resolve().parents[2] / "sync" / "fixtures"
SECRET = "the-right-secret"
TRACK17_BODY = (FIXTURES / "track17_push_tracking_updated.json").read_bytes()
AFTERSHIP_BODY = (FIXTURES / "aftership_webhook_tracking_update.json").read_bytes()
KUAIDI100_PARAM = (FIXTURES / "kuaidi100_push.json").read_text(encoding="utf-8")
NUMBERS = {"17track": "SF1402236517810", "aftership": "111111111111", "kuaidi100": "75123456789012"}


@dataclass(frozen=True, slots=True)
class Delivery:
    """One push as sent: body and headers, built from the payload and a secret."""

    content: bytes
    headers: dict[str, str]


def track17(body: bytes = TRACK17_BODY, secret: str | None = SECRET) -> Delivery:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["sign"] = track17_sign(body, secret)
    return Delivery(body, headers)


def aftership(body: bytes = AFTERSHIP_BODY, secret: str | None = SECRET) -> Delivery:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["aftership-hmac-sha256"] = aftership_sign(body, secret)
    return Delivery(body, headers)


def kuaidi100(param: str = KUAIDI100_PARAM, secret: str | None = SECRET) -> Delivery:
    form = {"param": param}
    if secret is not None:
        form["sign"] = push_sign(param, secret)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return Delivery(urlencode(form).encode(), headers)


BUILDERS: dict[str, Callable[..., Delivery]] = {
    "17track": track17,
    "aftership": aftership,
    "kuaidi100": kuaidi100,
}


@pytest.fixture
async def site(store: Store, make_order: OrderFactory) -> AsyncIterator[httpx.AsyncClient]:
    numbers = list(NUMBERS.values())
    orders = [make_order(n, tracking=number) for n, number in enumerate(numbers, 1)]
    await store.save_order_page("shop", "shopify", orders, "", T0)
    trackers = [
        (kind, kind, {"token": SECRET, "webhook_secret": SECRET, "salt": SECRET})
        for kind in NUMBERS
    ]
    context = HttpContext(store, VirtualClock(T0), push_secrets(trackers))
    receivers = (track17_push.routes, aftership_webhook.routes, kuaidi100_push.routes)
    server = await serve(create_app(context, receivers=receivers))
    async with httpx.AsyncClient(base_url=server.url) as client:
        yield client
    await server.stop()


async def post(client: httpx.AsyncClient, kind: str, delivery: Delivery) -> httpx.Response:
    return await client.post(
        f"/push/{kind}/{kind}", content=delivery.content, headers=delivery.headers
    )


async def kept(store: Store, kind: str) -> tuple[int, str]:
    """(pushes kept, the status of the parcel the push is about)."""
    status = await store.db.scalar(
        "SELECT status FROM shipments WHERE tracking_number = ?", (NUMBERS[kind],)
    )
    return await store.push_count(kind), str(status)


def altered(content: bytes) -> bytes:
    """The body with one byte changed (a digit in the middle, so it stays readable)."""
    middle = len(content) // 2
    position = next(i for i in range(middle, len(content)) if chr(content[i]).isdigit())
    digit = b"7" if content[position : position + 1] != b"7" else b"3"
    return content[:position] + digit + content[position + 1 :]


@pytest.mark.parametrize("kind", list(NUMBERS))
async def test_a_validly_signed_push_is_kept_and_moves_the_parcel(
    site: httpx.AsyncClient, store: Store, kind: str
) -> None:
    response = await post(site, kind, BUILDERS[kind]())
    assert response.status_code == 200
    count, status = await kept(store, kind)
    assert count == 1
    assert status != "pending"


@pytest.mark.parametrize("kind", list(NUMBERS))
async def test_a_push_signed_with_another_secret_is_refused(
    site: httpx.AsyncClient, store: Store, kind: str
) -> None:
    response = await post(site, kind, BUILDERS[kind](secret="not-the-secret"))
    assert response.status_code == 401
    assert await kept(store, kind) == (0, "pending")


@pytest.mark.parametrize("kind", list(NUMBERS))
async def test_an_unsigned_push_is_refused(
    site: httpx.AsyncClient, store: Store, kind: str
) -> None:
    response = await post(site, kind, BUILDERS[kind](secret=None))
    assert response.status_code == 401
    assert await kept(store, kind) == (0, "pending")


@pytest.mark.parametrize("kind", list(NUMBERS))
async def test_a_push_altered_by_one_byte_is_refused(
    site: httpx.AsyncClient, store: Store, kind: str
) -> None:
    signed = BUILDERS[kind]()
    if kind == "kuaidi100":
        tampered = kuaidi100(altered(KUAIDI100_PARAM.encode()).decode(), secret=None)
        form = dict(pair.split("=", 1) for pair in signed.content.decode().split("&"))
        content = tampered.content + b"&sign=" + form["sign"].encode()
        delivery = Delivery(content, signed.headers)
    else:
        delivery = Delivery(altered(signed.content), signed.headers)
    response = await post(site, kind, delivery)
    assert response.status_code == 401
    assert await kept(store, kind) == (0, "pending")


@pytest.mark.parametrize("kind", list(NUMBERS))
async def test_a_reserialized_push_with_the_original_signature_is_refused(
    site: httpx.AsyncClient, store: Store, kind: str
) -> None:
    signed = BUILDERS[kind]()
    if kind == "kuaidi100":
        again = json.dumps(json.loads(KUAIDI100_PARAM), ensure_ascii=True, sort_keys=True)
        form = dict(pair.split("=", 1) for pair in signed.content.decode().split("&"))
        content = urlencode({"param": again}).encode() + b"&sign=" + form["sign"].encode()
        delivery = Delivery(content, signed.headers)
    else:
        again = json.dumps(json.loads(signed.content), separators=(",", ":")).encode()
        assert again != signed.content
        delivery = Delivery(again, signed.headers)
    response = await post(site, kind, delivery)
    assert response.status_code == 401
    assert await kept(store, kind) == (0, "pending")


@pytest.mark.parametrize("kind", list(NUMBERS))
async def test_a_repeated_push_is_acknowledged_and_kept_once(
    site: httpx.AsyncClient, store: Store, kind: str
) -> None:
    first = await post(site, kind, BUILDERS[kind]())
    again = await post(site, kind, BUILDERS[kind]())
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert (await kept(store, kind))[0] == 1


async def test_kuaidi100_is_answered_exactly_the_acknowledgement_it_expects(
    site: httpx.AsyncClient,
) -> None:
    first = await post(site, "kuaidi100", kuaidi100())
    repeat = await post(site, "kuaidi100", kuaidi100())
    assert first.content == repeat.content == ACK
    assert json.loads(ACK) == {"result": True, "returnCode": "200", "message": "成功"}


async def test_a_push_for_a_tracker_with_no_secret_is_not_found(site: httpx.AsyncClient) -> None:
    response = await post(site, "17track", track17())
    other = await site.post("/push/17track/elsewhere", content=TRACK17_BODY)
    assert response.status_code == 200
    assert other.status_code == 404


async def test_a_signed_but_unreadable_push_is_refused_and_not_kept(
    site: httpx.AsyncClient, store: Store
) -> None:
    response = await post(site, "17track", track17(b'{"event": "TRACKING_UPDATED", "data": 7}'))
    assert response.status_code == 400
    assert await store.push_count("17track") == 0


async def test_a_stopped_17track_push_is_kept_but_moves_nothing(
    site: httpx.AsyncClient, store: Store
) -> None:
    body = (FIXTURES / "track17_push_tracking_stopped.json").read_bytes()
    response = await post(site, "17track", track17(body))
    assert response.status_code == 200
    assert await kept(store, "17track") == (1, "pending")
