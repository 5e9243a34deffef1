"""``LIMIT=N``: which N items of a use case a quick run scores.

A seeded sample spread over the use case's clusters (its ``cluster`` unit, the one its
intervals resample: a QA passage; an item without a cluster is its own), the same on every run
and machine, so the request cache, warm runs and run-vs-run pairing see the same items at the
same limit. Before, a limit took the first N items: SQuAD v1.1's first 48 questions come from 2
passages, so a ``LIMIT=48`` QA run rested on 2 independent units.

The draw (``cluster-systematic``): the items are ordered cluster after cluster, the clusters in
a seeded random order and each cluster's items in a seeded random order, and every
(N_items / N)-th item of that list is taken from a seeded random start (systematic sampling
along a list sorted by cluster, i.e. implicit stratification by cluster). So

* every item is drawn with the same probability N / N_items, whatever the size of its
  cluster: a LIMIT run estimates the mean the full run does (round-robin over clusters would
  give a passage with 1 question the weight of one with 30);
* the items are spread: while no cluster is larger than the step N_items / N, every item comes
  from a different cluster (SQuAD v1.1 at ``LIMIT=48``: 48 passages). Past that, a cluster
  larger than the step is drawn about size / step times, and a smaller one once with
  probability size / step, so the number of clusters drawn can be below both N and the
  number of clusters (round-robin would take every cluster first, at the price above).

"Seeded random" is a keyed hash (SHA-256 of the seed and the cluster key or item position),
so the order depends on neither Python's nor numpy's generators. The sample is recorded in the
run spec (:meth:`ItemSample.to_spec`): method, seed, limit, items and clusters drawn out of how
many, and a hash of the positions drawn. A larger limit is not a superset of a smaller one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from evals.fingerprint import cache_root, sha256_json, sha256_text
from evals.versions import code_sha256, normalized_source

LIMIT_SEED = 1234
"""The seed of every limit's draw (fixed: the same LIMIT scores the same items everywhere)."""

METHOD = "cluster-systematic"
"""The name of the draw recorded in the run spec (see the module docstring)."""


def _rank(seed: int, *parts: object) -> str:
    """A seeded, platform-independent sort key."""
    return hashlib.sha256(":".join(map(str, (seed, *parts))).encode("utf-8")).hexdigest()


def draw(keys: Sequence[str | None], limit: int, seed: int) -> tuple[int, ...]:
    """The positions (ascending) of the ``limit`` items drawn from items whose cluster keys are
    ``keys`` (None: the item is its own cluster); all of them when ``limit`` covers them."""
    total = len(keys)
    if limit >= total:
        return tuple(range(total))
    clusters: dict[str, list[int]] = {}
    for position, key in enumerate(keys):
        clusters.setdefault(f"item:{position}" if key is None else f"cluster:{key}", []).append(
            position
        )
    ordered = [
        position
        for key in sorted(clusters, key=lambda k: _rank(seed, k))
        for position in sorted(clusters[key], key=lambda p: _rank(seed, "item", p))
    ]
    start = int(_rank(seed, "start"), 16) % total
    # the i-th draw at (start + i·total) / limit: exact integer steps of total / limit from a
    # start uniform in [0, total / limit), so each position is taken for `limit` of the
    # `total` starts, i.e. with probability limit / total
    return tuple(sorted(ordered[(start + i * total) // limit] for i in range(limit)))


@dataclass(frozen=True)
class ItemSample:
    """The items a limit scores, and what the run spec says about them."""

    limit: int
    seed: int
    positions: tuple[int, ...]
    """Positions in the use case's scored items (lm-eval's ``doc_id``), ascending."""
    clusters: int
    """Independent units drawn: distinct clusters (items, where items have none)."""
    unit: str
    """What a cluster is (``passage``), or ``item``."""
    of_items: int
    of_clusters: int

    def to_spec(self) -> dict[str, Any]:
        """The run spec's ``sampling`` field."""
        return {
            "method": METHOD,
            "seed": self.seed,
            "limit": self.limit,
            "items": len(self.positions),
            "clusters": self.clusters,
            "unit": self.unit,
            "of_items": self.of_items,
            "of_clusters": self.of_clusters,
            "positions_sha256": hashlib.sha256(
                ",".join(map(str, self.positions)).encode("utf-8")
            ).hexdigest(),
        }


def scored_docs(use_case: Any) -> list[dict[str, Any]]:
    """The items a use case scores, in the order lm-eval (or the dialogue runner) numbers
    them: the primary task's test split, or the dialogues."""
    docs: list[dict[str, Any]] = (
        use_case.load_dialogues() if use_case.kind == "multiturn" else use_case.load_test_docs()
    )
    return docs


_SAMPLES: dict[str, ItemSample] = {}
MEMO_FILE = "limit-samples.json"
"""Draws remembered under the cache root, so that a warm run (which loads no model and reads
no data) knows what its limit draws without reading the use case's items."""


@cache
def _own_code() -> str:
    """This module's code hash (read and parsed once per process)."""
    return sha256_text(normalized_source(Path(__file__).read_text(encoding="utf-8")))


def _memo_key(use_case: Any, limit: int, seed: int) -> str:
    """What decides a draw: the data, the code that reads it and keys its clusters, this
    module, the data source, the limit and the seed."""
    return sha256_json(
        [
            METHOD,
            use_case.name,
            use_case.kind,
            use_case.data_sha256,
            code_sha256(use_case.folder, use_case.kind),
            _own_code(),
            sorted(use_case.task_metadata().items()),
            limit,
            seed,
        ]
    )


def _read_memo(path: Path) -> dict[str, Any]:
    try:
        memo = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return memo if isinstance(memo, dict) else {}


def item_sample(use_case: Any, limit: int | None, seed: int = LIMIT_SEED) -> ItemSample | None:
    """The sample ``LIMIT=limit`` scores of ``use_case`` (None: no limit, every item). Drawn
    once per data, code, limit and seed, and remembered (the run spec, the runner, warm runs
    and the matrix's planning all ask)."""
    if not limit:
        return None
    key = _memo_key(use_case, limit, seed)
    path = cache_root() / MEMO_FILE
    stored = _read_memo(path).get(key)
    if isinstance(stored, dict):
        try:
            sample = ItemSample(**{**stored, "positions": tuple(stored["positions"])})
        except (TypeError, KeyError):
            sample = None
        if sample is not None:
            _SAMPLES[key] = sample
            return sample
    # Drawn earlier in this process (under another cache folder, perhaps), else drawn now;
    # either way written to this cache's memo, where a later warm process will look for it.
    sample = _SAMPLES.get(key) or _draw_sample(use_case, limit, seed)
    _SAMPLES[key] = sample
    memo = _read_memo(path)  # again: another process may have added its draws meanwhile
    memo[key] = asdict(sample) | {"positions": list(sample.positions)}
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(memo), encoding="utf-8")
    tmp.replace(path)
    return sample


def _draw_sample(use_case: Any, limit: int, seed: int) -> ItemSample:
    docs = scored_docs(use_case)
    cluster = use_case.cluster
    keys = [cluster.key(d) for d in docs] if cluster is not None else [None] * len(docs)
    positions = draw(keys, limit, seed)
    units = [f"item:{i}" if key is None else f"cluster:{key}" for i, key in enumerate(keys)]
    return ItemSample(
        limit=limit,
        seed=seed,
        positions=positions,
        clusters=len({units[i] for i in positions}),
        unit=cluster.unit if cluster is not None else "item",
        of_items=len(docs),
        of_clusters=len(set(units)),
    )
