"""The paper's depth claims (Fig. 6, Table 6) stated from a depth study's finished nets.

Each claim is decided as soon as the nets it names have finished, so a study that trains
the ResNets before the plain nets learns whether the deeper ResNet tests better before the
plain pair has run. Nothing is forced: a claim without its nets is "not enough data".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

NOT_ENOUGH_DATA = "not enough data"

_TEXT = {
    "degradation": "Degradation (Fig. 6 left): the deepest plain net has a higher training "
    "error than the shallowest plain net.",
    "shortcuts": "Shortcuts fix the degradation (Fig. 6 middle): the deepest ResNet's "
    "training error is below the plain net's of the same depth.",
    "deeper_resnet": "Deeper residual nets test better (Table 6): the deepest ResNet's test "
    "error is at most the shallowest ResNet's.",
    "residual_learning": "Residual learning (Fig. 6 middle, Table 6): the deepest ResNet's "
    "test error is at most the shallowest ResNet's, and its training error is below the plain "
    "net of the same depth.",
}
_TRAIN, _TEST = "final_train_error", "final_test_error"


def _decided(key: str, supported: bool, evidence: str) -> dict:
    status = "supported" if supported else "not supported"
    return {"id": key, "claim": _TEXT[key], "status": status, "supported": supported,
            "evidence": evidence}  # fmt: skip


def _undecided(key: str, why: str) -> dict:
    return {"id": key, "claim": _TEXT[key], "status": NOT_ENOUGH_DATA, "supported": None,
            "evidence": why}  # fmt: skip


def _comparison(
    by_net: dict, key: str, first: tuple[str, int], second: tuple[str, int], column: str,
    holds: Callable[[float, float], bool], signs: tuple[str, str],
) -> dict:  # fmt: skip
    """Decide ``key`` from ``column`` of two nets: ``holds(first, second)`` in percent."""
    missing = _missing(by_net, [first, second])
    if missing:
        return _undecided(key, missing)
    a, b = (100 * by_net[net][column] for net in (first, second))
    kind = "training" if column == _TRAIN else "test"
    ok = holds(a, b)
    name = "{}{}".format
    return _decided(
        key, ok, f"{name(*first)} final {kind} error {a:.2f}% {signs[0] if ok else signs[1]} "
        f"{name(*second)} {b:.2f}%",
    )  # fmt: skip


def _missing(by_net: dict, nets: list[tuple[str, int]]) -> str:
    """'needs finished nets ...' naming those of ``nets`` not in ``by_net``, or ''."""
    missing = [f"{f}{d}" for f, d in nets if (f, d) not in by_net]
    return f"needs finished nets {', '.join(missing)}" if missing else ""


def _both(halves: list[dict], missing: str) -> dict:
    """Residual learning: both halves hold; one half that fails decides it already."""
    decided = [h for h in halves if h["supported"] is not None]
    if missing and all(h["supported"] for h in decided):
        return _undecided("residual_learning", missing)
    evidence = "; ".join(h["evidence"] for h in decided)
    return _decided("residual_learning", all(h["supported"] for h in halves), evidence)


def summarize(rows: Sequence[dict], families: Iterable[str], depths: Iterable[int]) -> dict:
    """State the paper's depth claims and whether ``rows`` (finished nets) support them.

    ``degradation``: the deepest plain net's final training error is higher than the
    shallowest plain net's. ``shortcuts``: the deepest ResNet's final training error is below
    the plain net's of the same depth. ``deeper_resnet``: the deepest ResNet's final test
    error is at most the shallowest ResNet's. ``residual_learning``: both of the last two.
    Each is "supported", "not supported" or "not enough data" (naming the missing nets).

    Example:
        >>> rows = [{"family": "plain", "depth": 20, "final_train_error": 0.05},
        ...         {"family": "plain", "depth": 56, "final_train_error": 0.08}]
        >>> summarize(rows, ["plain"], [20, 56])["claims"][0]["status"]
        'supported'
    """
    by_net = {(r["family"], r["depth"]): r for r in rows}
    depths, families = sorted(set(depths)), list(families)
    claims = []
    if len(depths) < 2:
        keys = ["degradation"] * ("plain" in families)
        keys += ["shortcuts", "deeper_resnet", "residual_learning"] * ("resnet" in families)
        claims = [_undecided(key, "needs at least two depths") for key in keys]
    else:
        low, high = depths[0], depths[-1]
        if "plain" in families:
            claims.append(_comparison(by_net, "degradation", ("plain", high), ("plain", low),
                                      _TRAIN, lambda a, b: a > b, (">", "<=")))  # fmt: skip
        if "resnet" in families:
            halves = [
                _comparison(by_net, "shortcuts", ("resnet", high), ("plain", high), _TRAIN,
                            lambda a, b: a < b, ("<", ">=")),
                _comparison(by_net, "deeper_resnet", ("resnet", high), ("resnet", low), _TEST,
                            lambda a, b: a <= b, ("<=", ">")),
            ]  # fmt: skip
            needed = [("resnet", high), ("plain", high), ("resnet", low)]
            claims += [*halves, _both(halves, _missing(by_net, needed))]
    return {
        "claims": claims,
        "training_error": "error on the augmented training data during training: Keras' "
        "running average over each epoch (what the paper plots)",
        "nets": sorted(f"{f}{d}" for f, d in by_net),
    }
