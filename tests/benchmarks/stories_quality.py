"""Pairwise precision and recall of story grouping on the labelled evaluation set.

    python tests/benchmarks/stories_quality.py [--set tests/benchmarks/stories_eval.yaml]

Every pair of articles is a decision: grouped or not. Precision is the share of
grouped pairs that the labels also group; recall is the share of labelled pairs
that were grouped. Pairs from the set's ``negative_pairs`` (different stories on
one topic) are listed if any was merged. The default test suite runs the same
evaluation (tests/test_story_grouping.py) and holds it to the targets.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from newscat.stories.grouping import group, story_item

DEFAULT_SET = Path(__file__).with_name("stories_eval.yaml")


@dataclass(frozen=True)
class Evaluation:
    articles: int
    stories: int
    true_pairs: int
    found_pairs: int
    correct_pairs: int
    false_merges: list[tuple[str, str]]
    misses: list[tuple[str, str]]
    merged_negatives: list[tuple[str, str]]

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def load(path: Path = DEFAULT_SET) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def evaluate(data: dict[str, Any]) -> Evaluation:
    rows = data["articles"]
    items = [
        story_item(
            n,
            row["id"],
            date=_iso(row["date"]),
            title=row.get("title"),
            excerpt=row.get("excerpt"),
            provider=row.get("provider"),
            domain=row.get("domain"),
            url=row.get("url"),
            related=row.get("related"),
        )
        for n, row in enumerate(rows)
    ]
    found = group(items)
    label = {row["id"]: row["story"] for row in rows}
    story = {item.id: found[item.key].story for item in items}
    true_pairs = found_pairs = correct = 0
    false_merges: list[tuple[str, str]] = []
    misses: list[tuple[str, str]] = []
    for a, b in itertools.combinations([row["id"] for row in rows], 2):
        same_label = label[a] == label[b]
        same_story = story[a] == story[b]
        true_pairs += same_label
        found_pairs += same_story
        correct += same_label and same_story
        if same_story and not same_label:
            false_merges.append((a, b))
        if same_label and not same_story:
            misses.append((a, b))
    negatives = {frozenset(pair) for pair in data.get("negative_pairs", [])}
    merged_negatives = [
        (a, b) for a, b in false_merges if frozenset((label[a], label[b])) in negatives
    ]
    return Evaluation(
        articles=len(rows),
        stories=len(set(label.values())),
        true_pairs=true_pairs,
        found_pairs=found_pairs,
        correct_pairs=correct,
        false_merges=false_merges,
        misses=misses,
        merged_negatives=merged_negatives,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    args = parser.parse_args()
    result = evaluate(load(args.set))
    print(f"articles {result.articles}, labelled stories {result.stories}")
    print(
        f"labelled pairs {result.true_pairs}, grouped pairs {result.found_pairs}, "
        f"both {result.correct_pairs}"
    )
    print(f"precision {result.precision:.3f}  recall {result.recall:.3f}")
    for a, b in result.false_merges:
        print(f"  false merge: {a} + {b}")
    for a, b in result.misses:
        print(f"  missed: {a} + {b}")
    print(f"different stories on one topic merged: {len(result.merged_negatives)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
