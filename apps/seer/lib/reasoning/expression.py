"""The target expression: a small typed algebra over the ontology that a request is parsed into.

A request's words each contribute an operator or an argument ("the larger" -> compare(volume, max), "of the liver
and the spleen" -> its candidates). `evaluate.py` runs an expression against an image's evidence; `decide.py`
turns the result into the TargetSpec. A language-model reasoner would emit the same tree as JSON (`from_json`),
through the same validation (`validate`) and the same evaluator.

| operator | meaning |
|---|---|
| concept(id) | one named structure (absent: a refusal) |
| group(id) | a group's members that are present |
| side(e, left/right) | members of e on one side |
| nth(e, k, end) / first(e, n) / last(e, n) | order within a series, from the top or the bottom |
| middle(e, n) | the n central members of what the image shows of a series (no single middle: a question) |
| range(e, a, b) / count(e, op, k) | members numbered a..b (b may be "last": the last one shown) / numbered op k |
| relation(kind, anchors, pool, steps) | members of pool in a relation to the anchors, decided from the map |
| compare(metric, sign, candidates, rank, count) | the rank-th most by volume, height, depth, distance |
| along(e, next/previous) | the structure a tract passes into after e, or before it (order: `continues_into`) |
| union(a, b, ...) / difference(a, b) / intersection(a, b) | set operations |
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Union

SIDES = ("left", "right")
DIRECTIONS = ("next", "previous")
ENDS = ("first", "last")
OPS = ("ge", "le", "gt", "lt")
METRICS = ("volume", "x", "y", "z", "distance", "lateral")
RELATIONS = ("superior", "inferior", "anterior", "posterior", "left", "right", "medial", "lateral", "contact",
             "between", "around", "inside", "same_side", "opposite_side")
# "along the back of": in contact with the landmark, on that side of it
RELATIONS += tuple(f"{kind}_contact" for kind in ("superior", "inferior", "anterior", "posterior", "left", "right"))


@dataclass(frozen=True)
class Concept:
    id: str
    op: str = field(default="concept", init=False)


@dataclass(frozen=True)
class Group:
    id: str
    op: str = field(default="group", init=False)


@dataclass(frozen=True)
class Side:
    of: "Expr"
    side: str
    op: str = field(default="side", init=False)


@dataclass(frozen=True)
class Nth:
    of: "Expr"
    k: int  # 1 = the end itself
    end: str = "first"
    present_only: bool = False  # counted over what the image shows
    op: str = field(default="nth", init=False)


@dataclass(frozen=True)
class First:
    of: "Expr"
    n: int = 1
    present_only: bool = False
    op: str = field(default="first", init=False)


@dataclass(frozen=True)
class Last:
    of: "Expr"
    n: int = 1
    present_only: bool = False
    op: str = field(default="last", init=False)


@dataclass(frozen=True)
class Middle:
    of: "Expr"
    n: int = 1
    op: str = field(default="middle", init=False)


@dataclass(frozen=True)
class Range:
    of: "Expr"
    start: int | str
    stop: int | str  # inclusive, by the series' own numbering; "first"/"last": that end of what the image shows
    op: str = field(default="range", init=False)


@dataclass(frozen=True)
class Count:
    of: "Expr"
    compare: str  # ge, le, gt, lt
    k: int
    op: str = field(default="count", init=False)


@dataclass(frozen=True)
class Relation:
    kind: str
    anchors: tuple["Expr", ...]
    pool: "Expr | None" = None  # None: any present structure
    steps: int = 0  # > 0: that many members along the anchor's series ("two levels above L2")
    part: tuple[str, str] | None = None  # the anchor's end ("the upper pole"): (axis, min|max)
    many: bool = False  # a plural kind ("the vertebrae touching L1", "around the cord"): every candidate so placed
    op: str = field(default="relation", init=False)


@dataclass(frozen=True)
class Compare:
    metric: str
    sign: int  # +1: the most, -1: the least
    candidates: "Expr"
    rank: int = 1
    count: int = 1
    landmark: "Expr | None" = None  # for distance
    reach: bool = False  # compare the extent's end, not the centroid
    part: tuple[str, str] | None = None
    op: str = field(default="compare", init=False)


@dataclass(frozen=True)
class Along:
    of: "Expr"
    direction: str  # next: where the content of `of` passes on to; previous: what passes into `of`
    within: tuple[str, ...] = ()  # the kind named ("the bowel segment ..."): the answer is one of these
    op: str = field(default="along", init=False)


@dataclass(frozen=True)
class SetOp:
    op: str  # union, difference, intersection
    items: tuple["Expr", ...]


Expr = Union[Concept, Group, Side, Nth, First, Last, Middle, Range, Count, Relation, Compare, Along, SetOp]


def union(*items: Expr) -> Expr:
    """The union of the items; one item is itself, none is the empty set."""
    flat = tuple(items)
    return flat[0] if len(flat) == 1 else SetOp("union", flat)


def of_ids(ids) -> Expr:
    """A set of named structures, as the expression of their union."""
    return union(*(Concept(c) for c in ids))


def difference(base: Expr, *minus: Expr) -> Expr:
    return base if not minus else SetOp("difference", (base, *minus))


def intersection(*items: Expr) -> Expr:
    return SetOp("intersection", tuple(items))


class ExpressionError(ValueError):
    """An expression that is not well formed (from a model's JSON, or a bug in a reader)."""


_TYPES = {"concept": Concept, "group": Group, "side": Side, "nth": Nth, "first": First, "last": Last, "middle": Middle,
          "range": Range, "count": Count, "relation": Relation, "compare": Compare,
          "along": Along}


def to_json(expr: Expr) -> dict:
    """The expression as plain JSON, the form the trace shows and a language model would emit."""
    if isinstance(expr, SetOp):
        return {"op": expr.op, "items": [to_json(e) for e in expr.items]}
    out: dict = {"op": expr.op}
    for f in fields(expr):
        if f.name == "op":
            continue
        value = getattr(expr, f.name)
        if isinstance(value, tuple) and value and not isinstance(value[0], str):
            out[f.name] = [to_json(v) for v in value]
        elif hasattr(value, "op"):
            out[f.name] = to_json(value)
        elif value is not None and value != () and not (f.name in ("present_only", "reach", "many") and value is False):
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def from_json(data: dict) -> Expr:
    """Parse and validate an expression from JSON; raises ExpressionError with the reason."""
    if not isinstance(data, dict) or "op" not in data:
        raise ExpressionError(f"an expression is an object with an 'op': {str(data)[:80]}")
    op = data["op"]
    if op in ("union", "difference", "intersection"):
        items = data.get("items")
        if not isinstance(items, list) or (not items and op != "union"):
            raise ExpressionError(f"{op} needs an 'items' list")
        return SetOp(op, tuple(from_json(i) for i in items))
    cls = _TYPES.get(op)
    if cls is None:
        raise ExpressionError(f"unknown operator {op!r}")
    kwargs = {}
    for f in fields(cls):
        if f.name == "op" or f.name not in data:
            continue
        value = data[f.name]
        if f.name in ("of", "candidates", "pool", "landmark") and value is not None:
            value = from_json(value)
        elif f.name == "anchors":
            value = tuple(from_json(v) for v in value)
        elif f.name in ("part", "within") and value is not None:
            value = tuple(value)
        kwargs[f.name] = value
    try:
        expr = cls(**kwargs)
    except TypeError as error:
        raise ExpressionError(f"{op}: {error}") from None
    validate(expr)
    return expr


def validate(expr: Expr, ontology=None) -> None:
    """Check the arguments' kinds and ranges, and (with an ontology) that every id exists."""
    def check(ok: bool, why: str) -> None:
        if not ok:
            raise ExpressionError(why)

    if isinstance(expr, (Concept, Group)):
        check(isinstance(expr.id, str) and (ontology is None or expr.id in ontology), f"unknown concept {expr.id!r}")
    elif isinstance(expr, Side):
        check(expr.side in SIDES, f"side must be one of {SIDES}")
    elif isinstance(expr, Nth):
        check(isinstance(expr.k, int) and expr.k >= 1 and expr.end in ENDS, "nth needs k >= 1 and an end")
    elif isinstance(expr, (First, Last, Middle)):
        check(isinstance(expr.n, int) and expr.n >= 1, f"{expr.op} needs n >= 1")
    elif isinstance(expr, Range):
        check(all(isinstance(v, int) or v in ENDS for v in (expr.start, expr.stop)),
              f"range needs two numbers, or one and an end of {ENDS}")
    elif isinstance(expr, Count):
        check(expr.compare in OPS and isinstance(expr.k, int), f"count needs one of {OPS} and a number")
    elif isinstance(expr, Relation):
        check(expr.kind in RELATIONS, f"relation kind must be one of {RELATIONS}")
        check(bool(expr.anchors), "a relation needs an anchor")
    elif isinstance(expr, Along):
        check(expr.direction in DIRECTIONS, f"along needs a direction of {DIRECTIONS}")
    elif isinstance(expr, Compare):
        check(expr.metric in METRICS and expr.sign in (1, -1), f"compare needs a metric of {METRICS} and sign +-1")
        check(expr.rank >= 1 and expr.count >= 1, "compare needs rank and count >= 1")
        check(expr.metric != "distance" or expr.landmark is not None, "a distance needs a landmark")
    for child in children(expr):
        validate(child, ontology)


def children(expr: Expr) -> list[Expr]:
    if isinstance(expr, SetOp):
        return list(expr.items)
    out = []
    for name in ("of", "candidates", "pool", "landmark"):
        value = getattr(expr, name, None)
        if value is not None:
            out.append(value)
    out.extend(getattr(expr, "anchors", ()))
    return out


def json_nodes(data):
    """Every operator node of an expression in its JSON form (as the trace keeps it), depth first."""
    if isinstance(data, dict):
        if "op" in data:
            yield data
        for value in data.values():
            yield from json_nodes(value)
    elif isinstance(data, list):
        for value in data:
            yield from json_nodes(value)


def operators_in(data) -> set[str]:
    """The operators an expression's JSON form uses: "relation", "compare", "nth", ..."""
    return {node["op"] for node in json_nodes(data)}

def show(expr: Expr) -> str:
    """A one-line rendering for the rationale: compare(volume, max, union(liver, spleen))."""
    if isinstance(expr, (Concept, Group)):
        return expr.id if isinstance(expr, Concept) else f"group({expr.id})"
    if isinstance(expr, SetOp):
        return f"{expr.op}({', '.join(show(e) for e in expr.items)})"
    if isinstance(expr, Side):
        return f"side({show(expr.of)}, {expr.side})"
    if isinstance(expr, Nth):
        return f"nth({show(expr.of)}, {expr.k}, {expr.end})"
    if isinstance(expr, (First, Last, Middle)):
        return f"{expr.op}({show(expr.of)}, {expr.n})"
    if isinstance(expr, Range):
        return f"range({show(expr.of)}, {expr.start}, {expr.stop})"
    if isinstance(expr, Count):
        return f"count({show(expr.of)}, {expr.compare} {expr.k})"
    if isinstance(expr, Relation):
        pool = f", {show(expr.pool)}" if expr.pool is not None else ""
        steps = f", steps={expr.steps}" if expr.steps else ""
        return f"relation({expr.kind}, {', '.join(show(a) for a in expr.anchors)}{pool}{steps})"
    if isinstance(expr, Along):
        return f"along({show(expr.of)}, {expr.direction})"
    if isinstance(expr, Compare):
        most = "max" if expr.sign > 0 else "min"
        rank = f", rank={expr.rank}" if expr.rank != 1 else ""
        count = f", count={expr.count}" if expr.count != 1 else ""
        return f"compare({expr.metric}, {most}, {show(expr.candidates)}{rank}{count})"
    return str(expr)
