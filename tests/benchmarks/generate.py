"""Generate a synthetic newscat catalogue shaped like the seed articles.

Usage::

    python tests/benchmarks/generate.py OUTDIR -n 100000 [--seed 1]

Files are spread over ``OUTDIR/YYYY/MM/`` (about 1,000 per folder at 100,000
articles) and named like the seeds: ``NNN_<16 hex>.txt``. The output is fully
determined by ``-n`` and ``--seed``; only file mtimes differ between runs.

A hidden marker ``OUTDIR/.generated.json`` records the parameters so the
benchmark runner can reuse a catalogue; newscat skips hidden files.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import time
from bisect import bisect
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")

#: Bump when the output format changes, so cached catalogues are regenerated.
GENERATOR_VERSION = 1
MARKER = ".generated.json"

# Ordered by popularity: weight of rank r is 1 / (r + 1) ** 1.07 (Zipf-like).
TOPICS: tuple[str, ...] = (
    "AI",
    "Machine Learning",
    "AI Ethics",
    "Generative AI",
    "AI in Healthcare",
    "Deep Learning",
    "AI Policy",
    "Large Language Models",
    "Computer Vision",
    "Natural Language Processing",
    "Robotics",
    "Data Science",
    "AI Regulation",
    "AI Safety",
    "Autonomous Vehicles",
    "AI Research",
    "Startups",
    "Cloud Computing",
    "Cybersecurity",
    "Facebook AI",
    "Google AI",
    "OpenAI",
    "Microsoft AI",
    "AI Chips",
    "Reinforcement Learning",
    "AI in Education",
    "AI in Finance",
    "Drug Discovery",
    "Medical Imaging",
    "Speech Recognition",
    "Recommender Systems",
    "Edge AI",
    "Quantum Computing",
    "AI Art",
    "Chatbots",
    "Explainable AI",
    "Federated Learning",
    "AI and Jobs",
    "Smart Cities",
    "Climate AI",
)

REAL_PROVIDERS: tuple[tuple[str, str], ...] = (
    ("NHS HEE", "hee.nhs.uk"),
    ("NHS England", "england.nhs.uk"),
    ("NHS Digital", "digital.nhs.uk"),
    ("Digital Health", "digitalhealth.net"),
    ("Medical Xpress", "medicalxpress.com"),
    ("Computer Weekly", "computerweekly.com"),
    ("BBC News", "bbc.co.uk"),
    ("The Guardian", "theguardian.com"),
    ("Reuters", "reuters.com"),
    ("TechCrunch", "techcrunch.com"),
    ("The Verge", "theverge.com"),
    ("Wired", "wired.com"),
    ("VentureBeat", "venturebeat.com"),
    ("ZDNet", "zdnet.com"),
    ("MIT News", "news.mit.edu"),
    ("MIT Technology Review", "technologyreview.com"),
    ("Stanford HAI", "hai.stanford.edu"),
    ("Google AI Blog", "ai.googleblog.com"),
    ("Nature", "nature.com"),
    ("Science Daily", "sciencedaily.com"),
    ("Healthcare IT News", "healthcareitnews.com"),
    ("Forbes", "forbes.com"),
    ("Financial Times", "ft.com"),
    ("The Register", "theregister.com"),
    ("Ars Technica", "arstechnica.com"),
    ("Le Monde", "lemonde.fr"),
    ("Süddeutsche Zeitung", "sueddeutsche.de"),
    ("日経クロステック", "xtech.nikkei.com"),
    ("El País", "elpais.com"),
    ("University of Oxford", "ox.ac.uk"),
)

WORDS_A = (
    "Digital", "Global", "Future", "Data", "Tech", "Health", "Science", "Daily", "Open",
    "Smart", "Modern", "Silicon", "Quantum", "Neural", "Cyber", "Cloud", "Clinical",
    "Policy", "Market", "Insight", "Frontier", "Signal", "Pulse", "Circuit", "Vector",
)  # fmt: skip
WORDS_B = (
    "Times", "Review", "Weekly", "Journal", "Report", "Wire", "Post", "Observer", "Herald",
    "Monitor", "Gazette", "Today", "Insider", "Brief", "Chronicle", "Digest", "Dispatch",
)  # fmt: skip
TLDS = (".com", ".com", ".com", ".net", ".org", ".co.uk", ".io", ".news", ".de", ".fr")
SUBDOMAINS = ("news.", "blog.", "health.", "tech.", "research.", "www.")

SUBJECTS = (
    "New report", "Researchers", "Study", "Scientists", "Regulators", "Hospital trust",
    "Start-up", "Government", "Tech giant", "University team", "Survey", "Experts",
    "Clinicians", "Lawmakers", "Engineers", "Analysts", "Investors", "Open-source project",
)  # fmt: skip
VERBS = (
    "finds", "warns", "says", "shows", "reveals", "calls for", "launches", "unveils",
    "questions", "proposes", "tests", "backs", "rejects", "announces", "publishes",
)  # fmt: skip
OBJECTS = (
    "healthcare staff need support to use AI safely",
    "artificial intelligence training for all staff",
    "new rules for high-risk AI systems",
    "a model that reads chest X-rays",
    "bias in facial recognition tools",
    "guidelines for trustworthy machine learning",
    "a chatbot for patient triage",
    "the limits of large language models",
    "funding for responsible AI research",
    "a benchmark for robot dexterity",
    "privacy risks of generative models",
    "AI that predicts protein structures",
    "transparency requirements for algorithms",
    "energy costs of training neural networks",
    "a plan to audit hiring algorithms",
    "self-driving trials in city centres",
    "data sharing between hospitals",
    "deepfake detection at scale",
)
ACCENTED = (
    "in São Paulo", "at the Café Zürich summit", "for Île-de-France clinics",
    "— a naïve approach?", "in Malmö and Kraków", "at Universität München",
    "in Córdoba", "for Ærø residents",
)  # fmt: skip
CJK = (
    "人工知能の倫理", "机器学习研究", "인공지능 정책",
    "医療AIの未来", "深度学习模型", "自然言語処理",
)  # fmt: skip
EMOJI = ("🤖", "🚀", "🧠", "⚕️", "📈", "🔬", "💡", "⚠️")
SENTENCE_WORDS = (
    "the", "model", "data", "patients", "systems", "research", "clinical", "safety",
    "training", "staff", "public", "policy", "results", "network", "algorithm", "risk",
    "evidence", "approach", "framework", "hospital", "technology", "support", "trust",
    "accuracy", "deployment", "regulation", "study", "team", "tools", "future", "across",
    "with", "for", "and", "of", "in", "to", "new", "more", "than", "their", "could",
)  # fmt: skip
TYPES = ("article",) * 20 + ("video",) * 2 + ("blog", "podcast", "press-release")
CATEGORIES = ("news",) * 18 + ("research", "opinion")

START = datetime(2019, 1, 1, tzinfo=timezone.utc)
END = datetime(2027, 1, 1, tzinfo=timezone.utc)
SPAN_S = int((END - START).total_seconds())


class Weighted(Generic[T]):
    """Draw from a fixed population with Zipf-like weights."""

    def __init__(self, items: Sequence[T], exponent: float) -> None:
        self.items = list(items)
        self.cum = list(accumulate(1.0 / (r + 1) ** exponent for r in range(len(items))))

    def one(self, rng: random.Random) -> T:
        return self.items[bisect(self.cum, rng.random() * self.cum[-1])]

    def distinct(self, rng: random.Random, k: int) -> list[T]:
        out: list[T] = []
        while len(out) < k:
            item = self.one(rng)
            if item not in out:
                out.append(item)
        return out


def build_providers(count: int = 300) -> list[tuple[str, str]]:
    """~300 (name, domain) pairs, fixed regardless of --seed."""
    rng = random.Random(20190101)
    providers = list(REAL_PROVIDERS)
    seen = {name for name, _ in providers}
    while len(providers) < count:
        a, b = rng.choice(WORDS_A), rng.choice(WORDS_B)
        name = f"{a} {b}" if rng.random() < 0.7 else f"The {a} {b}"
        if name in seen:
            name = f"{name} {rng.choice(('UK', 'US', 'EU', 'Asia', 'Online'))}"
            if name in seen:
                continue
        seen.add(name)
        slug = name.lower().replace("the ", "").replace(" ", "")
        domain = slug + rng.choice(TLDS)
        if rng.random() < 0.15:
            domain = rng.choice(SUBDOMAINS) + domain
        providers.append((name, domain))
    return providers


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def slugify(text: str) -> str:
    out = "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower())
    return "-".join(filter(None, out.split("-")))[:80] or "article"


def sentence(rng: random.Random, lo: int = 8, hi: int = 20) -> str:
    words = rng.choices(SENTENCE_WORDS, k=rng.randint(lo, hi))
    return " ".join(words).capitalize() + "."


def make_title(rng: random.Random) -> str | None:
    r = rng.random()
    if r < 0.002:
        return None
    title = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    r = rng.random()
    if r < 0.05:
        title = f"{title} {rng.choice(ACCENTED)}"
    elif r < 0.07:
        title = f"{rng.choice(CJK)}: {title}"
    elif r < 0.09:
        title = f"{rng.choice(EMOJI)} {title}"
    elif r < 0.095:
        title = " — ".join([title] + [sentence(rng) for _ in range(rng.randint(5, 12))])
    if rng.random() < 0.01:
        title += ' and the "[bold]" question'
    return title


def format_date(rng: random.Random, when: datetime) -> str:
    r = rng.random()
    if r < 0.03:  # older files: "May 19, 2022 9:13 AM"
        hour = when.hour % 12 or 12
        ampm = "AM" if when.hour < 12 else "PM"
        return f"{when:%B} {when.day}, {when.year} {hour}:{when.minute:02d} {ampm}"
    if r < 0.04:
        return f"{when.day} {when:%b %Y %H:%M}"
    if r < 0.07:
        local = when.astimezone(timezone(timedelta(hours=rng.choice((1, 2, -5, 5.5, 9)))))
        return local.isoformat(timespec="seconds")
    return f"{when:%Y-%m-%dT%H:%M}:00Z"


def score(rng: random.Random, mean: float, sd: float) -> str:
    value = max(0, min(100, round(rng.gauss(mean, sd))))
    return f'"{value}"' if rng.random() < 0.03 else str(value)


def image_block(rng: random.Random, domain: str, when: datetime, indent: str) -> list[str]:
    name = f"{rng.getrandbits(32):08x}.jpg"
    return [
        f"{indent}- url: {q(f'https://{domain}/images/{when:%Y/%m}/{name}')}",
        f"{indent}  width: {rng.choice((320, 454, 555, 640, 800, 1024, 1200, 1920))}",
        f"{indent}  height: {rng.choice((180, 330, 431, 480, 575, 720, 1080))}",
        f"{indent}  isCached: {'true' if rng.random() < 0.8 else 'false'}",
    ]


def body(rng: random.Random, url: str) -> str:
    parts: list[str] = []
    for i in range(rng.randint(2, 5)):
        if i == 1 and rng.random() < 0.4:
            parts.append(f"## {sentence(rng, 3, 6)[:-1]}")
        para = " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))
        if rng.random() < 0.3:
            para += f" See the [original report]({url}) for *details*."
        parts.append(para)
        if rng.random() < 0.15:
            parts.append("\n".join(f"- {sentence(rng, 3, 8)}" for _ in range(3)))
    return "\n\n".join(parts) + "\n"


def article(
    rng: random.Random,
    when: datetime,
    topics: Weighted[str],
    providers: Weighted[tuple[str, str]],
) -> str:
    title = make_title(rng)
    name, domain = providers.one(rng)
    slug = slugify(title or "untitled")
    url = f"https://{domain}/{when:%Y/%m}/{slug}/"
    lines = [
        "---",
        f"category: {rng.choice(CATEGORIES)}",
        f"title: {q(title) if title is not None else 'null'}",
        f"excerpt: {q(' '.join(sentence(rng) for _ in range(rng.randint(1, 2))))}",
        f"publishedDateTime: {format_date(rng, when)}",
        f"originalUrl: {q(url)}",
        f"webUrl: {q(url)}",
        f"type: {rng.choice(TYPES)}",
        f"quality: {score(rng, 52, 18)}",
        f"heat: {score(rng, 55, 20)}",
        f"published: {'true' if rng.random() < 0.6 else 'false'}",
        "",
    ]
    if rng.random() < 0.01:
        lines.append(f"provider: {q(name)}")
    else:
        lines += ["provider:", f"  name: {q(name)}", f"  domain: {domain}"]
    lines.append("")
    chosen = topics.distinct(rng, rng.choice((1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 6)))
    if len(chosen) == 1 and rng.random() < 0.1:
        lines.append(f"topics: {chosen[0]}")
    else:
        lines.append("topics:")
        lines += [f"  - {t}" for t in chosen]
    lines.append("")
    n_images = rng.choice((0, 1, 1, 1, 2))
    if n_images:
        lines.append("images:")
        for _ in range(n_images):
            lines += image_block(rng, domain, when, "  ")
        lines.append("")
    n_related = rng.choice((0, 0, 1, 1, 1, 2, 3))
    if n_related:
        lines.append("related:")
        for _ in range(n_related):
            r_title = make_title(rng) or "Untitled"
            r_name, r_domain = providers.one(rng)
            r_when = when + timedelta(minutes=rng.randint(-4000, 4000))
            r_slug = slugify(r_title)
            r_url = f"https://{r_domain}/news/{r_when:%Y-%m}-{r_slug}.html"
            amp = r_url.replace(".html", ".amp")
            cdn_host = r_domain.replace(".", "-")
            lines += [
                f"  - title: {q(r_title)}",
                f"    excerpt: {q(sentence(rng))}",
                f"    publishedDateTime: {r_when:%Y-%m-%dT%H:%M}:00Z",
                f"    webUrl: {q(r_url)}",
                f"    ampWebUrl: {q(amp)}",
                f"    cdnAmpWebUrl: {q(f'https://{cdn_host}.cdn.ampproject.org/c/s/' + amp[8:])}",
                "    type: article",
                "    provider:",
                f"      name: {q(r_name)}",
                f"      domain: {r_domain}",
                f"    quality: {score(rng, 50, 15)}",
            ]
            if rng.random() < 0.4:
                lines.append("    images:")
                lines += image_block(rng, r_domain, r_when, "      ")
        lines.append("")
    blob = base64.b64encode(rng.randbytes(16 * rng.randint(12, 28))).decode()
    tail = base64.b64encode(rng.randbytes(16)).decode()
    lines += [f'secured: "{blob};{tail}"', "---", ""]
    text = "\n".join(lines) + "\n"
    if rng.random() < 0.3:
        text += body(rng, url)
    return text


def generate(outdir: Path, n: int, seed: int) -> int:
    rng = random.Random(seed)
    topics = Weighted(TOPICS, 1.07)
    providers = Weighted(build_providers(), 0.9)
    # Draw every date first so files can be numbered per folder.
    whens = [START + timedelta(seconds=rng.randrange(SPAN_S) // 60 * 60) for _ in range(n)]
    counters: dict[str, int] = {}
    made: set[str] = set()
    for when in whens:
        folder = f"{when:%Y}/{when:%m}"
        if folder not in made:
            (outdir / folder).mkdir(parents=True, exist_ok=True)
            made.add(folder)
        number = counters.get(folder, 0)
        counters[folder] = number + 1
        name = f"{number:03d}_{rng.getrandbits(64):016x}.txt"
        text = article(rng, when, topics, providers)
        with open(outdir / folder / name, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    return len(whens)


def marker_data(n: int, seed: int) -> dict[str, int]:
    return {"n": n, "seed": seed, "version": GENERATOR_VERSION}


def is_generated(outdir: Path, n: int, seed: int) -> bool:
    """True when OUTDIR holds a complete catalogue for these parameters."""
    try:
        data = json.loads((outdir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(data == marker_data(n, seed))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("-n", type=int, default=100_000, help="number of articles")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    outdir: Path = args.outdir
    if outdir.exists() and any(outdir.iterdir()):
        print(f"error: {outdir} exists and is not empty", file=sys.stderr)
        return 2
    outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    count = generate(outdir, args.n, args.seed)
    (outdir / MARKER).write_text(json.dumps(marker_data(args.n, args.seed)), encoding="utf-8")
    elapsed = time.perf_counter() - t0
    print(f"wrote {count} articles to {outdir} in {elapsed:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
