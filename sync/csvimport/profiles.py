"""Column-mapping profiles: which header of a back office's export holds which order fact.

A profile names, for each role (order number, status, paid time …), the headers that may hold
it, in order of preference: the first one present in a file wins. Shipped profiles follow the
documented export columns of Taobao/Tmall, JD and Douyin seller back offices, Shopify's order
export for English headers, and a warehouse/ERP stage export. Shops define their own in the
daemon config (``[[profiles]]``, optionally starting from a shipped ``base``), or override the
columns of one source.

Zone-less times are read in the profile's ``time_zone`` (Asia/Shanghai unless told otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.csvimport.statuses import Axes, parse_axes_text, status_key
from sync.errors import ConfigError, PayloadError


class Column(StrEnum):
    """What a column of an export means to orderwatch."""

    NUMBER = "number"
    EXTERNAL_ID = "external_id"
    STATUS = "status"
    PAYMENT_STATUS = "payment_status"
    FULFILLMENT_STATUS = "fulfillment_status"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    PAID_AT = "paid_at"
    SHIPPED_AT = "shipped_at"
    CLOSED_AT = "closed_at"
    CANCELLED_AT = "cancelled_at"
    TOTAL = "total"
    CURRENCY = "currency"
    CUSTOMER_NAME = "customer_name"
    BUYER = "buyer"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    COUNTRY = "country"
    CARRIER = "carrier"
    TRACKING_NUMBER = "tracking_number"
    ITEM_TITLE = "item_title"
    ITEM_SKU = "item_sku"
    ITEM_QUANTITY = "item_quantity"
    ITEM_PRICE = "item_price"
    TAGS = "tags"
    NOTE = "note"
    RESERVED_AT = "reserved_at"
    PICKED_AT = "picked_at"
    PACKED_AT = "packed_at"
    HANDED_OVER_AT = "handed_over_at"


STAGE_COLUMNS = (Column.RESERVED_AT, Column.PICKED_AT, Column.PACKED_AT, Column.HANDED_OVER_AT)


class ProfileKind(StrEnum):
    ORDERS = "orders"
    """Rows are orders: they create and update orders of the importing source."""
    STAGES = "stages"
    """Rows are warehouse stages of orders that already exist, matched by order number."""


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    kind: ProfileKind
    columns: Mapping[Column, tuple[str, ...]]
    time_zone: str = "Asia/Shanghai"
    currency: str = "CNY"
    country: str = "CN"
    channel: str = ""
    statuses: Mapping[str, Axes] = field(default_factory=dict)
    """The shop's own status texts (keyed by :func:`status_key`), read before the built-in ones."""
    description: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def resolve(self, header: Sequence[str]) -> dict[Column, int]:
        """Which column index holds each role in a file with this ``header``."""
        positions: dict[str, int] = {}
        for index, name in enumerate(header):
            positions.setdefault(status_key(name), index)
        found: dict[Column, int] = {}
        for role, aliases in self.columns.items():
            at = next((positions[k] for a in aliases if (k := status_key(a)) in positions), None)
            if at is not None:
                found[role] = at
        if Column.NUMBER not in found:
            looked = ", ".join(self.columns.get(Column.NUMBER, ()))
            raise PayloadError(
                f"no order number column for profile {self.name!r} (looked for {looked})"
            )
        if self.kind is ProfileKind.STAGES and not any(c in found for c in STAGE_COLUMNS):
            raise PayloadError(f"no stage time column for profile {self.name!r}")
        return found

    def score(self, header: Sequence[str]) -> int:
        """How well this profile fits ``header`` (0: it does not)."""
        try:
            found = self.resolve(header)
        except PayloadError:
            return 0
        return len(found)


def _columns(**aliases: str | tuple[str, ...]) -> dict[Column, tuple[str, ...]]:
    return {Column(k): (v,) if isinstance(v, str) else v for k, v in aliases.items()}


SHIPPED: tuple[Profile, ...] = (
    Profile(
        "taobao",
        ProfileKind.ORDERS,
        _columns(
            number=("订单编号", "订单号"),
            status=("订单状态", "交易状态"),
            created_at=("订单创建时间", "创建时间", "下单时间"),
            paid_at=("订单付款时间", "付款时间"),
            shipped_at=("发货时间", "卖家发货时间"),
            closed_at=("确认收货时间", "交易结束时间", "交易成功时间"),
            updated_at=("修改时间", "更新时间"),
            total=("买家实际支付金额", "实付金额", "总金额"),
            buyer=("买家会员名", "买家昵称"),
            customer_name=("收货人姓名", "收货人"),
            phone=("联系手机", "手机", "联系电话"),
            address=("收货地址", "收货地址 "),
            carrier=("物流公司", "快递公司"),
            tracking_number=("物流单号", "运单号", "快递单号"),
            item_title=("宝贝标题", "商品标题"),
            item_quantity=("宝贝总数量", "商品数量"),
            note=("买家留言", "订单备注"),
        ),
        channel="taobao",
        description="Taobao/Tmall seller centre order report (订单报表)",
    ),
    Profile(
        "jd",
        ProfileKind.ORDERS,
        _columns(
            number=("订单号", "订单编号"),
            status="订单状态",
            created_at="下单时间",
            paid_at=("付款确认时间", "付款时间"),
            shipped_at=("发货时间", "出库时间"),
            closed_at=("订单完成时间", "完成时间"),
            total=("应付金额", "订单金额"),
            buyer=("下单帐号", "下单账号"),
            customer_name=("客户姓名", "收货人"),
            phone=("联系电话", "客户电话", "手机"),
            address=("客户地址", "收货地址"),
            carrier=("快递公司", "承运商"),
            tracking_number=("运单号", "快递单号"),
            item_title="商品名称",
            item_sku=("商品ID", "商品编号"),
            item_quantity=("订购数量", "商品数量"),
            item_price="京东价",
            note="订单备注",
        ),
        channel="jd",
        description="JD seller back office order export (POP 订单导出)",
    ),
    Profile(
        "douyin",
        ProfileKind.ORDERS,
        _columns(
            number="主订单编号",
            status="订单状态",
            created_at=("订单提交时间", "下单时间"),
            paid_at="支付完成时间",
            shipped_at="发货时间",
            closed_at="订单完成时间",
            total=("订单应付金额", "应付金额", "订单实付金额"),
            buyer="买家昵称",
            customer_name=("收件人", "收件人姓名"),
            phone=("收件人手机号", "收件人电话"),
            province="省",
            city="市",
            district="区",
            address="详细地址",
            carrier="快递公司",
            tracking_number="快递单号",
            item_title=("选购商品", "商品名称"),
            item_sku=("商家编码", "货号"),
            item_quantity="商品数量",
            item_price="商品金额",
            note="买家留言",
        ),
        channel="douyin",
        description="Douyin shop (抖店) order export",
    ),
    Profile(
        "generic",
        ProfileKind.ORDERS,
        _columns(
            number=("Name", "Order", "Order Number", "Order No", "Order ID", "Number"),
            external_id="Id",
            status=("Order Status", "Status"),
            payment_status=("Financial Status", "Payment Status"),
            fulfillment_status=("Fulfillment Status", "Shipping Status"),
            created_at=("Created at", "Created", "Order Date", "Date"),
            updated_at=("Updated at", "Updated", "Modified"),
            paid_at=("Paid at", "Paid", "Payment Date"),
            shipped_at=("Fulfilled at", "Shipped at", "Ship Date"),
            closed_at=("Closed at", "Completed at"),
            cancelled_at=("Cancelled at", "Canceled at"),
            total=("Total", "Order Total", "Amount"),
            currency="Currency",
            customer_name=("Shipping Name", "Billing Name", "Customer Name", "Customer"),
            email=("Email", "Customer Email"),
            phone=("Shipping Phone", "Phone", "Billing Phone"),
            address=("Shipping Address1", "Shipping Street", "Address"),
            city=("Shipping City", "City"),
            province=("Shipping Province", "Shipping Province Name", "State", "Province"),
            country=("Shipping Country", "Country"),
            carrier=("Tracking Company", "Carrier", "Shipping Carrier"),
            tracking_number=("Tracking Number", "Tracking"),
            item_title=("Lineitem name", "Item", "Product"),
            item_sku=("Lineitem sku", "SKU"),
            item_quantity=("Lineitem quantity", "Quantity", "Qty"),
            item_price=("Lineitem price", "Price"),
            tags="Tags",
            note=("Notes", "Note"),
        ),
        currency="",
        country="",
        description="English headers, as in Shopify's order export (one row per line item)",
    ),
    Profile(
        "warehouse",
        ProfileKind.STAGES,
        _columns(
            number=(
                "平台订单号", "平台单号", "订单编号", "订单号", "原始单号", "外部单号",
                "Order Number", "Order", "Order No",
            ),
            reserved_at=(
                "占库时间", "预占时间", "配货时间", "审单时间", "Reserved at", "Allocated at",
            ),
            picked_at=("拣货时间", "拣货完成时间", "Picked at"),
            packed_at=("打包时间", "打包完成时间", "验货时间", "Packed at"),
            handed_over_at=(
                "交接时间", "揽收时间", "出库时间", "发货时间", "Handed over at", "Dispatched at",
                "Shipped at",
            ),
            carrier=("快递公司", "物流公司", "Carrier"),
            tracking_number=("快递单号", "物流单号", "运单号", "Tracking Number"),
        ),
        description="Warehouse/ERP export with stage times (reserved, picked, packed, handed over)",
    ),
)  # fmt: skip
SHIPPED_BY_NAME: dict[str, Profile] = {p.name: p for p in SHIPPED}
AUTO = "auto"


def detect(header: Sequence[str], profiles: Sequence[Profile]) -> Profile:
    """The profile that fits ``header`` best (orders before stages on a tie)."""
    scored = [(p.score(header), i, p) for i, p in enumerate(profiles)]
    best = max(scored, key=lambda s: (s[0], -s[1]), default=None)
    if best is None or best[0] == 0:
        shown = ", ".join(header[:6])
        raise PayloadError(f"no profile fits this header ({shown} …); pass --profile NAME")
    return best[2]


_PROFILE_KEYS = {"name", "base", "kind", "time_zone", "currency", "country", "channel", "columns",
                 "statuses", "description"}  # fmt: skip


def profile_from_table(
    where: str, table: Mapping[str, Any], known: Mapping[str, Profile]
) -> Profile:
    """A profile defined in config; :class:`ConfigError` lists every problem, prefixed ``where``."""
    problems: list[str] = [
        f"{where}.{key}: unknown key (known: {', '.join(sorted(_PROFILE_KEYS))})"
        for key in sorted(set(table) - _PROFILE_KEYS)
    ]
    name = table.get("name")
    if not isinstance(name, str) or not name:
        problems.append(f"{where}.name: required, a text")
        name = "?"
    base_name = str(table.get("base", ""))
    base = known.get(base_name) if base_name else None
    if base_name and base is None:
        problems.append(f"{where}.base: unknown profile {base_name!r} (known: {', '.join(known)})")
    kind = base.kind if base else ProfileKind.ORDERS
    if "kind" in table:
        try:
            kind = ProfileKind(str(table["kind"]))
        except ValueError:
            problems.append(f"{where}.kind: must be 'orders' or 'stages'")
    columns = dict(base.columns) if base else {}
    columns.update(read_columns(f"{where}.columns", table.get("columns", {}), problems))
    statuses = dict(base.statuses) if base else {}
    statuses.update(read_statuses(f"{where}.statuses", table.get("statuses", {}), problems))
    texts = {
        k: str(table[k]) for k in ("time_zone", "currency", "country", "channel") if k in table
    }
    start = base or Profile(name, kind, {})
    description = str(table.get("description", f"based on {base_name}" if base else ""))
    profile = replace(
        start,
        name=name,
        kind=kind,
        columns=columns,
        statuses=statuses,
        description=description,
        **texts,
    )
    problems += check_zone(f"{where}.time_zone", profile.time_zone)
    if Column.NUMBER not in profile.columns:
        problems.append(f"{where}.columns.number: required (the order number column)")
    if problems:
        raise ConfigError(problems)
    return profile


def read_columns(where: str, table: Any, problems: list[str]) -> dict[Column, tuple[str, ...]]:
    if not isinstance(table, Mapping):
        problems.append(f"{where}: must be a table of role = header(s)")
        return {}
    columns: dict[Column, tuple[str, ...]] = {}
    for role, headers in table.items():
        try:
            column = Column(role)
        except ValueError:
            problems.append(f"{where}.{role}: unknown column role (known: {', '.join(Column)})")
            continue
        if isinstance(headers, str) and headers:
            columns[column] = (headers,)
        elif isinstance(headers, list) and headers and all(isinstance(h, str) for h in headers):
            columns[column] = tuple(headers)
        else:
            problems.append(f"{where}.{role}: must be a header text or a list of them")
    return columns


def read_statuses(where: str, table: Any, problems: list[str]) -> dict[str, Axes]:
    if not isinstance(table, Mapping):
        problems.append(
            f"{where}: must be a table of status text = 'payment fulfillment lifecycle'"
        )
        return {}
    statuses: dict[str, Axes] = {}
    for text, value in table.items():
        try:
            statuses[status_key(text)] = parse_axes_text(str(value))
        except ValueError as exc:
            problems.append(f"{where}.{text}: {exc}")
    return statuses


def check_zone(where: str, name: str) -> list[str]:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return [f"{where}: unknown time zone {name!r} (e.g. Asia/Shanghai, UTC)"]
    return []
