"""`make report`: the campaign figures as a self-contained HTML page and a CSV file.

Counts under 5 are shown as "fewer than 5" in every table, chart and CSV cell, as UK public
statistics do for sensitive data, and a percentage is shown only when both of its counts are
5 or more. Charts are drawn with matplotlib and embedded in the page, so the one file can be
mailed or archived as it is.
"""

from __future__ import annotations

import argparse
import base64
import csv
import html
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bot.insights import counters
from bot.insights.counters import CounterStore, Key
from bot.intents import FALLBACK_INTENT, RISK_PREFIX

SMALL = counters.MIN_STORED_COUNT  # none smaller is stored; older databases may have some
FEWER = "fewer than 5"
TOP_TOPICS = 15
ALL = "all"


@dataclass(frozen=True)
class Figure:
    """One cell of the report: a count, or a percentage (`of` holds its two counts)."""

    section: str
    period: str
    channel: str
    name: str
    value: int
    of: tuple[int, int] | None = None

    def shown(self) -> str:
        """What the reader sees: small counts and percentages of small counts withheld."""
        if self.of is not None:
            part, whole = self.of
            return f"{100 * part / whole:.1f}%" if min(part, whole) >= SMALL else "not shown"
        return FEWER if self.value < SMALL else str(self.value)


def _sum(counts: dict[Key, int], metric: str, by: Callable[[Key], object]) -> Counter:
    totals: Counter = Counter()
    for key, n in counts.items():
        if key.metric == metric:
            totals[by(key)] += n
    return totals


def figures(counts: dict[Key, int]) -> list[Figure]:
    """Every figure in the report, from the stored counters."""
    out: list[Figure] = []
    for section, metric in (("conversations per day", counters.CONVERSATION_STARTED),
                            ("messages per day", counters.MESSAGE),
                            ("quick exits per day", counters.QUICK_EXIT)):
        per_day = _sum(counts, metric, lambda k: (k.day, k.channel))
        out += [Figure(section, day, channel, "", n)
                for (day, channel), n in sorted(per_day.items())]
    topics = _sum(counts, counters.MESSAGE, lambda k: k.name)
    topics = Counter({t: n for t, n in topics.items()
                      if not t.startswith(RISK_PREFIX) and t != FALLBACK_INTENT})
    out += [Figure("top topics", ALL, ALL, t, n) for t, n in topics.most_common(TOP_TOPICS)]
    escalations = _sum(counts, counters.ESCALATION, lambda k: k.name)
    out += [Figure("escalations by category", ALL, ALL, c, n)
            for c, n in sorted(escalations.items())]
    buttons = _sum(counts, counters.BUTTON, lambda k: k.name)
    out += [Figure("buttons used", ALL, ALL, b, n) for b, n in buttons.most_common(TOP_TOPICS)]
    fallbacks = _sum(counts, counters.FALLBACK, lambda k: k.channel)
    messages = _sum(counts, counters.MESSAGE, lambda k: k.channel)
    for channel in sorted(messages):
        out.append(Figure("fallback rate", ALL, channel, "", fallbacks[channel],
                          (fallbacks[channel], messages[channel])))
    started = _sum(counts, counters.FLOW_STARTED, lambda k: k.name)
    finished = _sum(counts, counters.FLOW_FINISHED, lambda k: k.name)
    for flow in sorted(started):
        out.append(Figure("flow completion", ALL, ALL, flow, finished[flow],
                          (finished[flow], started[flow])))
    return out


def write_csv(rows: Iterable[Figure], path: Path) -> None:
    """One line per figure, values as the reader sees them."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["section", "period", "channel", "name", "value"])
        for f in rows:
            writer.writerow([f.section, f.period, f.channel, f.name, f.shown()])


def _chart(rows: list[Figure], label: Callable[[Figure], str]) -> str:
    """A bar chart as an embedded PNG; bars under 5 are not drawn."""
    names = [label(f) for f in rows]
    values = [f.value if f.value >= SMALL else 0 for f in rows]
    figure, axes = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.2))
    axes.barh(names[::-1], values[::-1], color="#1d4f91")
    axes.set_xlabel("count (counts under 5 are not drawn)")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    png = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="" src="data:image/png;base64,{png}">'


def _table(rows: list[Figure]) -> str:
    cells = "".join(
        f"<tr><td>{html.escape(f.period)}</td><td>{html.escape(f.channel)}</td>"
        f"<td>{html.escape(f.name)}</td><td>{html.escape(f.shown())}</td></tr>" for f in rows)
    return ("<table><tr><th>period</th><th>channel</th><th>name</th><th>value</th></tr>"
            f"{cells}</table>")


def write_html(rows: list[Figure], path: Path) -> None:
    """The report page: per section a chart (where counts are drawn) and the table."""
    sections: dict[str, list[Figure]] = {}
    for f in rows:
        sections.setdefault(f.section, []).append(f)
    body = []
    for section, items in sections.items():
        body.append(f"<h2>{html.escape(section.capitalize())}</h2>")
        if all(f.of is None for f in items):
            body.append(_chart(items, lambda f: " ".join(x for x in (f.period, f.channel, f.name)
                                                       if x and x != ALL)))
        body.append(_table(items))
    if not body:
        body.append("<p>No conversations have been counted yet.</p>")
    path.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Campaign assistant: insights</title><style>"
        "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #999;"
        "padding:.2rem .6rem;text-align:left}img{max-width:100%}</style></head><body>"
        "<h1>Campaign assistant: insights</h1><p>Counts only: no messages, people or exact "
        "times are kept. Counts under 5 are shown as &ldquo;fewer than 5&rdquo;; times are "
        "UTC days.</p>" + "".join(body) + "</body></html>",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=counters.url_from_env(), help="SQLAlchemy database URL")
    parser.add_argument("--out", default="reports", help="folder for insights.html and .csv")
    args = parser.parse_args(argv)
    rows = figures(CounterStore(args.db).all())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(rows, out / "insights.csv")
    write_html(rows, out / "insights.html")
    print(f"wrote {out / 'insights.html'} and {out / 'insights.csv'} ({len(rows)} figures)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
