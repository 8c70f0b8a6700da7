"""The tracking page's HTML: server-rendered, no JavaScript, readable on a phone.

Every value is escaped on its way in: :func:`fill` escapes anything that is not already
:class:`Html`, and only this module makes :class:`Html`.
"""

from __future__ import annotations

import html
from string import Template

from daemon.http.page_view import PageView, ParcelView, ScanLine, StepView
from daemon.http.page_words import other_language, say


class Html(str):
    """Text that is already HTML (built here from escaped parts)."""

    __slots__ = ()


def fill(template: Template, **values: object) -> Html:
    return Html(
        template.substitute(
            {k: v if isinstance(v, Html) else html.escape(str(v)) for k, v in values.items()}
        )
    )


def join(parts: list[Html]) -> Html:
    return Html("".join(parts))


_CSS = """
:root{color-scheme:light;--ink:#1d2430;--soft:#5d6878;--line:#d9dee6;--done:#1f7a4d;
--warn:#b3541e;--bg:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:16px/1.5 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif}
main{max-width:36rem;margin:0 auto;padding:1rem 1rem 2rem}
header{display:flex;justify-content:space-between;align-items:baseline;gap:1rem}
header p{margin:0;color:var(--soft);font-size:.9rem}
a{color:#1d5fbf}
h1{font-size:1.25rem;margin:.5rem 0 .25rem}
h2{font-size:1rem;margin:0 0 .5rem}
.stage{font-size:1.35rem;font-weight:650;margin:.25rem 0 1rem;color:var(--done)}
.stage.trouble{color:var(--warn)}
.card{background:#fff;border:1px solid var(--line);border-radius:.75rem;padding:1rem;
margin:0 0 1rem}
.strip{display:flex;list-style:none;margin:0;padding:0;counter-reset:step}
.strip li{flex:1;position:relative;text-align:center;font-size:.72rem;line-height:1.2;
color:var(--soft);padding-top:1.5rem}
.strip li::before{content:"";position:absolute;top:.3rem;left:50%;width:.8rem;height:.8rem;
margin-left:-.4rem;border-radius:50%;background:#fff;border:2px solid var(--line);z-index:1}
.strip li::after{content:"";position:absolute;top:.62rem;left:-50%;width:100%;height:2px;
background:var(--line)}
.strip li:first-child::after{display:none}
.strip li.done{color:var(--ink)}
.strip li.done::before{background:var(--done);border-color:var(--done)}
.strip li.done::after{background:var(--done)}
.strip li.current{font-weight:700}
.strip.trouble li.current::before{background:var(--warn);border-color:var(--warn)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .75rem;margin:0}
dt{color:var(--soft)}
dd{margin:0;overflow-wrap:anywhere}
.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,monospace;letter-spacing:.02em}
.scans{list-style:none;margin:.75rem 0 0;padding:0;border-top:1px solid var(--line)}
.scans li{padding:.55rem 0;border-bottom:1px solid var(--line)}
.scans li:first-child .text{font-weight:600}
.scans time,.scans .when{display:block;color:var(--soft);font-size:.82rem}
.scans .place{color:var(--soft);font-size:.85rem}
.note{color:var(--soft);font-size:.85rem;margin:.5rem 0 0}
.card>p:first-child{margin-top:0}
.card>p:last-child{margin-bottom:0}
form label{display:block;margin:.75rem 0 .25rem}
input{width:100%;font:inherit;padding:.6rem;border:1px solid var(--line);border-radius:.5rem}
button{margin-top:1rem;width:100%;font:inherit;font-weight:600;padding:.7rem;border:0;
border-radius:.5rem;background:#1d5fbf;color:#fff}
.error{color:var(--warn);font-weight:600}
"""

_PAGE = Template(
    """<!doctype html>
<html lang="$lang"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>$title</title><style>$css</style></head>
<body><main>
<header><p>$heading</p><a href="?lang=$other" hreflang="$other" lang="$other">$switch</a></header>
$body
</main></body></html>
"""
)

_ORDER = Template(
    """<h1>$title</h1>
<p class="stage$trouble" data-field="stage">$stage</p>
<section class="card"><ol class="strip$trouble" aria-label="$progress">$steps</ol></section>
<section class="card"><dl>$people</dl></section>
$parcels
<p class="note">$zone_note $fresh_order</p>"""
)

_PARCEL = Template(
    """<section class="card parcel">$heading<dl>
<dt>$courier_label</dt><dd data-field="courier">$courier</dd>
<dt>$number_label</dt><dd class="mono" data-field="tracking-number">$number</dd>$eta
</dl>$scans
<p class="note" data-field="freshness">$fresh</p></section>"""
)

_SCAN = Template('<li>$when<span class="text">$text</span>$place</li>')

_MESSAGE = Template("""<h1>$title</h1><section class="card"><p>$message</p>$link</section>""")

_LOOKUP = Template(
    """<h1>$title</h1><section class="card"><p>$intro</p>$error
<form method="post"><input type="hidden" name="lang" value="$lang">
<label for="number">$number_label</label>
<input id="number" name="number" required maxlength="40" autocomplete="off" value="$number">
<label for="digits">$digits_label</label>
<input id="digits" name="digits" required inputmode="numeric" pattern="[0-9]{4}" maxlength="4"
autocomplete="off">
<button type="submit">$submit</button></form></section>"""
)


def render_page(view: PageView) -> str:
    trouble = Html(" trouble") if view.trouble else Html("")
    body = fill(
        _ORDER,
        title=view.title,
        trouble=trouble,
        stage=view.stage,
        progress=say(view.lang, "progress"),
        steps=join([_step(step) for step in view.steps]),
        people=_people(view),
        parcels=join([_parcel(parcel, view.lang) for parcel in view.parcels]),
        zone_note=view.zone_note,
        fresh_order=view.fresh_order,
    )
    return _document(view.lang, view.title, body)


def render_refused(lang: str, lookup_href: str = "") -> str:
    """The one answer for every link that does not lead to an order: it says nothing more.

    ``lookup_href`` (relative, so the page works behind a path prefix) offers the look-up form.
    """
    return _message(lang, "refused_title", say(lang, "refused"), lookup_href)


def render_busy(lang: str, seconds: str) -> str:
    return _message(lang, "busy_title", say(lang, "busy", seconds=seconds), "")


def render_lookup(lang: str, *, number: str = "", failed: bool = False) -> str:
    error = fill(Template('<p class="error">$text</p>'), text=say(lang, "lookup_failed"))
    body = fill(
        _LOOKUP,
        title=say(lang, "lookup_title"),
        intro=say(lang, "lookup_intro"),
        error=error if failed else Html(""),
        lang=lang,
        number_label=say(lang, "lookup_number"),
        number=number,
        digits_label=say(lang, "lookup_digits"),
        submit=say(lang, "lookup_submit"),
    )
    return _document(lang, say(lang, "lookup_title"), body)


def _message(lang: str, title_key: str, message: str, lookup_href: str) -> str:
    link = Html("")
    if lookup_href:
        link = fill(
            Template('<p><a href="$href?lang=$lang">$text</a></p>'),
            href=lookup_href,
            lang=lang,
            text=say(lang, "lookup_link"),
        )
    title = say(lang, title_key)
    return _document(lang, title, fill(_MESSAGE, title=title, message=message, link=link))


def _document(lang: str, title: str, body: Html) -> str:
    other = other_language(lang)
    return fill(
        _PAGE,
        lang=lang,
        title=title,
        css=Html(_CSS),
        heading=say(lang, "heading"),
        other=other,
        switch=say(lang, "switch"),
        body=body,
    )


def _step(step: StepView) -> Html:
    classes = " ".join(c for c, on in (("done", step.done), ("current", step.current)) if on)
    current = Html(' aria-current="step"') if step.current else Html("")
    return fill(
        Template('<li class="$classes"$current>$label</li>'),
        classes=classes,
        current=current,
        label=step.label,
    )


def _people(view: PageView) -> Html:
    rows = [
        ("for", "name", view.customer),
        ("phone", "phone", view.phone),
        ("to", "place", view.place),
        ("promised", "promised", view.promised),
    ]
    return join([_pair(say(view.lang, key), field, value) for key, field, value in rows if value])


def _pair(label: str, field: str, value: str) -> Html:
    return fill(
        Template('<dt>$label</dt><dd data-field="$field">$value</dd>'),
        label=label,
        field=field,
        value=value,
    )


def _parcel(parcel: ParcelView, lang: str) -> Html:
    heading = Html("")
    if parcel.heading:
        heading = fill(
            Template("<h2>$heading · $stage</h2>"), heading=parcel.heading, stage=parcel.stage
        )
    eta = _pair(say(lang, "eta"), "eta", parcel.eta) if parcel.eta else Html("")
    scans = fill(Template('<p class="note">$text</p>'), text=say(lang, "no_scans"))
    if parcel.scans:
        items = join([_scan(scan) for scan in parcel.scans])
        scans = fill(
            Template('<h2 class="note">$label</h2><ol class="scans">$items</ol>'),
            label=say(lang, "scans"),
            items=items,
        )
    return fill(
        _PARCEL,
        heading=heading,
        courier_label=say(lang, "courier"),
        courier=parcel.courier,
        number_label=say(lang, "tracking_number"),
        number=parcel.tracking_number,
        eta=eta,
        scans=scans,
        fresh=parcel.fresh,
    )


def _scan(scan: ScanLine) -> Html:
    if scan.iso:
        when = fill(Template('<time datetime="$iso">$when</time>'), iso=scan.iso, when=scan.when)
    else:
        when = fill(Template('<span class="when">$when</span>'), when=scan.when)
    place = fill(Template('<span class="place"> · $place</span>'), place=scan.place)
    return fill(_SCAN, when=when, text=scan.text, place=place if scan.place else Html(""))
