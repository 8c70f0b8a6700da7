"""Who buys from the simulated shop, where they live, and what they buy.

Plain data plus a few draws from a caller's ``random.Random``; nothing here keeps state, so the
shop stays a pure function of its seed. Phone numbers of Western customers use the 555-01xx
block reserved for fiction; Chinese ones are random digits behind real mobile prefixes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CN_SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
    ("郭", "guo"), ("何", "he"), ("林", "lin"), ("罗", "luo"), ("高", "gao"),
)  # fmt: skip
CN_GIVEN = (
    ("伟", "wei"), ("娜", "na"), ("芳", "fang"), ("敏", "min"), ("静", "jing"),
    ("丽", "li"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"),
    ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"), ("桂兰", "guilan"), ("志强", "zhiqiang"),
    ("晓燕", "xiaoyan"), ("子涵", "zihan"), ("欣怡", "xinyi"), ("浩然", "haoran"),
    ("雨桐", "yutong"),
)  # fmt: skip
WEST_FIRST = (
    "Emma", "Olivia", "Ava", "Sophia", "Mia", "Liam", "Noah", "James", "Lucas", "Henry",
    "Grace", "Chloe", "Daniel", "Ethan", "Hannah", "Jack", "Laura", "Oscar", "Ruby", "Sam",
)  # fmt: skip
WEST_LAST = (
    "Wilson", "Smith", "Johnson", "Brown", "Taylor", "Miller", "Davis", "Clark", "Lewis",
    "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
)  # fmt: skip
CN_MAIL = ("qq.com", "163.com", "126.com", "sina.com", "foxmail.com")
WEST_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me")
CN_MOBILE_PREFIXES = ("138", "139", "135", "136", "150", "158", "186", "188", "177", "199")

# (province, city, districts, zip prefix)
CN_PLACES = (
    ("广东省", "深圳市", ("南山区", "福田区", "宝安区", "龙岗区"), "518"),
    ("广东省", "广州市", ("天河区", "越秀区", "海珠区", "番禺区"), "510"),
    ("浙江省", "杭州市", ("西湖区", "滨江区", "余杭区", "拱墅区"), "310"),
    ("北京市", "北京市", ("朝阳区", "海淀区", "东城区", "丰台区"), "100"),
    ("上海市", "上海市", ("浦东新区", "徐汇区", "静安区", "闵行区"), "200"),
    ("江苏省", "南京市", ("鼓楼区", "玄武区", "建邺区", "江宁区"), "210"),
    ("四川省", "成都市", ("武侯区", "锦江区", "高新区", "青羊区"), "610"),
    ("湖北省", "武汉市", ("洪山区", "武昌区", "江汉区", "汉阳区"), "430"),
    ("福建省", "厦门市", ("思明区", "湖里区", "集美区"), "361"),
    ("山东省", "青岛市", ("市南区", "崂山区", "黄岛区"), "266"),
)
CN_STREETS = ("科技园路", "人民路", "建设大道", "中山路", "文三路", "长江路", "解放路", "滨海大道")

# (country code, province/state, city, zip, area code, UTC offset hours)
WEST_PLACES = (
    ("US", "CA", "San Francisco", "94107", "415", -8),
    ("US", "CA", "Los Angeles", "90012", "213", -8),
    ("US", "NY", "New York", "10001", "212", -5),
    ("US", "WA", "Seattle", "98101", "206", -8),
    ("US", "TX", "Austin", "78701", "512", -6),
    ("GB", "England", "London", "EC1A 1BB", "20", 0),
    ("CA", "ON", "Toronto", "M5V 2T6", "416", -5),
    ("AU", "NSW", "Sydney", "2000", "2", 10),
)
WEST_STREETS = ("Market St", "Main St", "Oak Ave", "Pine St", "King St", "High St", "Elm Rd")

# (sku, English title, Chinese title, unit price in the shop currency)
CATALOG = (
    ("TEA-LJ-250", "Longjing Green Tea 250g", "西湖龙井 250g", "168.00"),
    ("TEA-PE-357", "Pu'er Tea Cake 357g", "普洱茶饼 357g", "228.00"),
    ("TEA-TGY-125", "Tieguanyin Oolong 125g", "铁观音 125g", "98.00"),
    ("CUP-CER-01", "Celadon Tea Cup", "青瓷茶杯", "45.00"),
    ("POT-YX-02", "Yixing Clay Teapot", "宜兴紫砂壶", "399.00"),
    ("SET-GIFT-01", "Tea Gift Box", "茶叶礼盒", "299.00"),
    ("SCF-SLK-01", "Silk Scarf", "真丝围巾", "259.00"),
    ("TSH-COT-M", "Cotton T-shirt M", "纯棉T恤 M", "79.00"),
    ("BAG-CNV-01", "Canvas Tote Bag", "帆布托特包", "59.00"),
    ("CHG-USB-C", "USB-C Charger 65W", "65W USB-C 充电器", "129.00"),
    ("EAR-BT-02", "Bluetooth Earbuds", "蓝牙耳机", "199.00"),
    ("NTB-A5-01", "A5 Notebook", "A5 笔记本", "25.00"),
)

TAGS = ("repeat", "wholesale", "gift", "first-order", "influencer")


@dataclass(frozen=True, slots=True)
class Customer:
    first_name: str
    last_name: str
    email: str
    phone: str
    """E.164, as Shopify stores a customer's phone."""
    chinese: bool

    @property
    def full_name(self) -> str:
        if self.chinese:
            return f"{self.last_name}{self.first_name}"
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class Address:
    address1: str
    city: str
    province: str
    country: str
    zip: str
    phone: str
    """As the buyer typed it at checkout (local format)."""
    utc_offset: int


@dataclass(frozen=True, slots=True)
class Item:
    line_id: int
    sku: str
    title: str
    quantity: int
    price: str


def chinese_customer(rng: random.Random) -> tuple[Customer, Address]:
    surname, surname_py = rng.choice(CN_SURNAMES)
    given, given_py = rng.choice(CN_GIVEN)
    prefix = rng.choice(CN_MOBILE_PREFIXES)
    digits = f"{rng.randrange(10**8):08d}"
    if rng.random() < 0.4:
        email = f"{rng.randrange(10**7, 10**10)}@qq.com"
    else:
        email = f"{given_py}.{surname_py}{rng.randrange(100)}@{rng.choice(CN_MAIL)}"
    customer = Customer(given, surname, email, f"+86{prefix}{digits}", chinese=True)
    province, city, districts, zip_prefix = rng.choice(CN_PLACES)
    district = rng.choice(districts)
    street = rng.choice(CN_STREETS)
    address1 = (
        f"{district}{street}{rng.randrange(1, 300)}号"
        f"{rng.randrange(1, 20)}栋{rng.randrange(1, 33)}{rng.randrange(1, 5):02d}"
    )
    local_phone = f"{prefix} {digits[:4]} {digits[4:]}"
    address = Address(
        address1, city, province, "CN", f"{zip_prefix}{rng.randrange(1000):03d}", local_phone, 8
    )
    return customer, address


def western_customer(rng: random.Random) -> tuple[Customer, Address]:
    first = rng.choice(WEST_FIRST)
    last = rng.choice(WEST_LAST)
    country, province, city, zip_code, area, offset = rng.choice(WEST_PLACES)
    calling = {"US": "1", "CA": "1", "GB": "44", "AU": "61"}[country]
    line = f"01{rng.randrange(100):02d}"
    phone = f"+{calling}{area}555{line}"
    email = f"{first.lower()}.{last.lower()}{rng.choice(('', str(rng.randrange(100))))}"
    customer = Customer(first, last, f"{email}@{rng.choice(WEST_MAIL)}", phone, chinese=False)
    address1 = f"{rng.randrange(1, 2500)} {rng.choice(WEST_STREETS)}"
    address = Address(
        address1, city, province, country, zip_code, f"+{calling} {area} 555 {line}", offset
    )
    return customer, address


def basket(rng: random.Random, order_number: int, chinese: bool) -> tuple[Item, ...]:
    count = 1 + min(3, int(rng.expovariate(1.2)))
    picks = rng.sample(range(len(CATALOG)), count)
    items = []
    for position, pick in enumerate(picks):
        sku, english, chinese_title, price = CATALOG[pick]
        quantity = 1 + min(4, int(rng.expovariate(1.5)))
        title = chinese_title if chinese and rng.random() < 0.7 else english
        line_id = 13_000_000_000_000 + order_number * 8 + position
        items.append(Item(line_id, sku, title, quantity, price))
    return tuple(items)


def order_tags(rng: random.Random) -> tuple[str, ...]:
    tags = []
    if rng.random() < 0.06:
        tags.append("VIP")
    if rng.random() < 0.15:
        tags.append(rng.choice(TAGS))
    return tuple(tags)
