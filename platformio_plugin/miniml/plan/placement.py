"""Placing buffers of known size and lifetime at byte offsets: greedy rules over several orders,
and a bounded depth-first search for a plan within a given arena size.

Every rule works on the free gaps of a buffer: the byte ranges not used by the already placed
buffers whose lifetimes overlap its own. Sizes come aligned, so every gap edge is aligned too.
"""
from __future__ import annotations

import random
from functools import partial
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from ..errors import GraphError

ALIGN = 4  # bytes: every offset and size is a multiple (float buffers aligned on every target)
Interval = Tuple[int, int, int]  # (size, start, end): bytes, first and last node it is alive at
Placed = Tuple[int, str, List[int]]  # arena bytes, strategy, offset per buffer
# The work each search may do (about 0.05 s; at most six searches, and only when no greedy plan
# reaches the lower bound): keeps export fast when the bound cannot be reached (worst case about
# 0.35 s, on 600 dense buffers).
SEARCH_BUDGET = 200_000
# The orders the search runs in, one after the other (each finds plans the others miss; the two of
# before #17 first). Of 500 of test_planner's dense random lifetime sets (seeds 0-4), 8 stay over
# the bound after them (mean gap 0.020%); 17 (0.051%) with those two, a budget of 250,000 and the
# fragmentation check by sum and largest buffer alone (and no set of 1,000 got a larger plan).
SEARCH_ORDERS = ("graph-order", "conflict-first", "end-order")
# Searches between the bound and the best plan when none reaches the bound (bisection steps).
NARROW_ROUNDS = 3
# When the searches above miss the bound: many short searches, each in one of orders() with as
# many random neighbour swaps as it has buffers, since a depth-first search spends its budget
# below its first few wrong choices and a short one in a slightly different order often avoids
# them. Dense sets over the bound without -> with them: seeds 0-4 8 -> 1, seeds 5-9 9 -> 4,
# seeds 10-14 3 -> 2, mean gap over the 1,500 sets 0.028% -> 0.014% (scripts/bench/arena_gaps.py
# counts them); about 0.1-0.2 s more per export when the bound cannot be reached.
RESTARTS = 60
RESTART_BUDGET = 10_000


def lower_bound(items: Sequence[Interval]) -> int:
    """The most bytes alive at one node: no plan of these lifetimes is smaller."""
    live: Dict[int, int] = {}
    for size, start, end in items:
        for t in range(start, end + 1):
            live[t] = live.get(t, 0) + size
    return max(live.values(), default=0)


def conflict_lists(items: Sequence[Interval]) -> List[List[int]]:
    """For each buffer, the indices of the others alive at one node with it."""
    order = sorted(range(len(items)), key=lambda i: items[i][1])
    out: List[List[int]] = [[] for _ in items]
    for k, i in enumerate(order):
        end = items[i][2]
        for j in order[k + 1 :]:
            if items[j][1] > end:
                break
            out[i].append(j)
            out[j].append(i)
    return out


def free_gaps(size: int, used: List[Tuple[int, int]], cap: Optional[int]) -> List[Tuple[int, int]]:
    """Free [lo, hi) ranges at least `size` long between the used (offset, end) ranges, below the
    cap; without a cap the last one is open (hi = -1)."""
    gaps: List[Tuple[int, int]] = []
    lo = 0
    for off, end in sorted(used):
        hi = off if cap is None else min(off, cap)
        if hi - lo >= size:
            gaps.append((lo, hi))
        lo = max(lo, end)
    if cap is None:
        gaps.append((lo, -1))
    elif cap - lo >= size:
        gaps.append((lo, cap))
    return gaps


def _used(i: int, conflicts: List[List[int]], items: Sequence[Interval],
          offsets: List[int]) -> List[Tuple[int, int]]:
    return [(offsets[j], offsets[j] + items[j][0]) for j in conflicts[i] if offsets[j] >= 0]


def _first_fit(gaps: List[Tuple[int, int]], size: int) -> int:
    return gaps[0][0]


def _best_fit(gaps: List[Tuple[int, int]], size: int) -> int:
    """The tightest closed gap (ties: the lowest), else the open top."""
    closed = [g for g in gaps if g[1] >= 0]
    if not closed:
        return gaps[-1][0]
    return min(closed, key=lambda g: (g[1] - g[0], g[0]))[0]


RULES: Dict[str, Callable[[List[Tuple[int, int]], int], int]] = {
    "first-fit": _first_fit,
    "best-fit": _best_fit,
}


def sound(items: Sequence[Interval], conflicts: List[List[int]], offsets: List[int]) -> bool:
    """No buffer is unplaced or shares bytes with one alive at the same node (aligned offsets)."""
    for i, (size, _, _) in enumerate(items):
        off = offsets[i]
        if off < 0 or off % ALIGN:
            return False
        for j in conflicts[i]:
            if off < offsets[j] + items[j][0] and offsets[j] < off + size:
                return False
    return True


def _conflict_weight(items: Sequence[Interval], conflicts: List[List[int]]) -> List[int]:
    return [sum(items[j][0] for j in c) + items[i][0] for i, c in enumerate(conflicts)]


def orders(items: Sequence[Interval], conflicts: List[List[int]]) -> Dict[str, List[int]]:
    """Placement orders: TFLM's largest first, graph order, and orders that put the buffers which
    constrain the most others first."""
    n = range(len(items))
    weight = _conflict_weight(items, conflicts)
    return {
        "largest-first": sorted(n, key=lambda i: (-items[i][0], items[i][1])),
        "graph-order": sorted(n, key=lambda i: (items[i][1], i)),
        "longest-first": sorted(n, key=lambda i: (-(items[i][2] - items[i][1]), -items[i][0])),
        "area-first": sorted(n, key=lambda i: (-items[i][0] * (items[i][2] - items[i][1] + 1),
                                               items[i][1])),
        "conflict-first": sorted(n, key=lambda i: (-weight[i], items[i][1])),
        "end-order": sorted(n, key=lambda i: (items[i][2], -items[i][0])),
    }


def place_greedy(items: Sequence[Interval], conflicts: List[List[int]], order: List[int],
                 rule: Callable[[List[Tuple[int, int]], int], int]) -> List[int]:
    offsets = [-1] * len(items)
    for i in order:
        offsets[i] = rule(free_gaps(items[i][0], _used(i, conflicts, items, offsets), None),
                          items[i][0])
    return offsets


def place_two_ended(items: Sequence[Interval], conflicts: List[List[int]], cap: int) -> List[int]:
    """Graph order, alternating the top and the bottom of an arena of `cap` bytes (optimal on
    chains: each buffer's only neighbours are the one before and the one after it)."""
    offsets = [-1] * len(items)
    top = False
    for i in sorted(range(len(items)), key=lambda k: (items[k][1], -items[k][0])):
        size = items[i][0]
        top = not top
        used = _used(i, conflicts, items, offsets)
        inside = free_gaps(size, used, cap)
        if top and inside:
            offsets[i] = inside[-1][1] - size
        else:  # the lowest gap, above the cap if none inside fits
            offsets[i] = free_gaps(size, used, None)[0][0]
    return offsets


def _alive(items: Sequence[Interval]) -> List[List[int]]:
    steps = max((e for _, _, e in items), default=-1) + 1
    alive: List[List[int]] = [[] for _ in range(steps)]
    for i, (_, start, end) in enumerate(items):
        for t in range(start, end + 1):
            alive[t].append(i)
    return alive


def _still_fits(i: int, items: Sequence[Interval], alive: List[List[int]], offsets: List[int],
                cap: int) -> bool:
    """After placing buffer i: at every node of its life, for each size s of a buffer not placed
    yet, the waiting buffers of at least s bytes still fit in the free gaps there of at least s
    bytes (a necessary condition: a buffer goes only into a gap it fits)."""
    for t in range(items[i][1], items[i][2] + 1):
        waiting = sorted((items[j][0] for j in alive[t] if offsets[j] < 0), reverse=True)
        if not waiting:
            continue
        used = [(offsets[j], offsets[j] + items[j][0]) for j in alive[t] if offsets[j] >= 0]
        gaps = sorted((hi - lo for lo, hi in free_gaps(waiting[-1], used, cap)), reverse=True)
        need = room = k = 0
        for size in waiting:
            need += size
            while k < len(gaps) and gaps[k] >= size:
                room += gaps[k]
                k += 1
            if need > room:
                return False
    return True


def search(items: Sequence[Interval], conflicts: List[List[int]], cap: int, budget: int,
           order: List[int], alive: Optional[List[List[int]]] = None) -> Optional[List[int]]:
    """A plan within `cap` bytes, or None when none is found within `budget` (units: a buffer
    compared with another, about 0.1-0.3 us each; it keeps a hopeless search short): depth-first
    in `order`, each buffer at the bottom or the top of each free gap (tightest gap first), so a
    buffer placed early can leave room at either end for the peaks that follow; a placement after
    which the buffers still to come cannot fit at some node is dropped at once. `alive`: _alive(items)
    when the caller has it (restarts: computed once)."""
    if not order:
        return []
    alive = alive if alive is not None else _alive(items)
    # what one placement of each buffer costs: its gaps, the check over its lifetime, and the
    # fixed cost of a step (about 20 comparisons' worth)
    cost = [20 + len(conflicts[i]) + sum(len(alive[t]) for t in range(s, e + 1))
            for i, (_, s, e) in enumerate(items)]
    offsets = [-1] * len(items)
    left = budget

    def candidates(i: int) -> List[int]:
        size = items[i][0]
        gaps = free_gaps(size, _used(i, conflicts, items, offsets), cap)
        gaps.sort(key=lambda g: (g[1] - g[0], g[0]))
        out: List[int] = []
        for lo, hi in gaps:
            out.append(lo)
            if hi - size != lo:
                out.append(hi - size)
        return out

    stack = [candidates(order[0])]
    while stack:  # stack[k]: the offsets still to try for order[k]
        k = len(stack) - 1
        i = order[k]
        if not stack[k]:
            offsets[i] = -1
            stack.pop()
            continue
        if left <= 0:
            return None
        left -= cost[i]
        offsets[i] = stack[k].pop(0)
        if not _still_fits(i, items, alive, offsets, cap):
            continue
        if k + 1 == len(order):
            return list(offsets)
        stack.append(candidates(order[k + 1]))
    return None


def place(items: Sequence[Interval], bound: int) -> Placed:
    """The first plan at the lower bound, else the smallest: the two-ended and greedy strategies, a
    bounded search for a plan within the bound, short searches in shuffled orders, then searches
    between the bound and the best plan found; only plans without overlaps count (two-ended always
    gives one)."""
    conflicts = conflict_lists(items)
    orders_ = orders(items, conflicts)
    best: Optional[Placed] = None
    for name, trial in _trials(items, conflicts, orders_, bound):
        best = _smaller(best, name, trial(), items, conflicts)
        if best is not None and best[0] == bound:
            return best
    if best is None:
        raise GraphError("no placement without overlaps")  # unreachable: two-ended always gives one
    lo = bound  # no plan found within it
    for _ in range(NARROW_ROUNDS):
        if best[0] - lo <= ALIGN:
            break
        cap = (lo + best[0]) // (2 * ALIGN) * ALIGN
        found = search(items, conflicts, cap, SEARCH_BUDGET, orders_["graph-order"])
        if found is None:
            lo = cap
        best = _smaller(best, f"search within {cap} B", found, items, conflicts)
    return best


def _trials(items: Sequence[Interval], conflicts: List[List[int]], orders_: Dict[str, List[int]],
            bound: int) -> Iterator[Tuple[str, Callable[[], Optional[List[int]]]]]:
    """place()'s strategies, cheapest first (made only when the ones before miss the bound)."""
    yield "two-ended", partial(place_two_ended, items, conflicts, bound)
    for rname, rule in RULES.items():
        for oname, order in orders_.items():
            yield f"{oname} {rname}", partial(place_greedy, items, conflicts, order, rule)
    for oname in SEARCH_ORDERS:
        yield f"search in {oname}", partial(search, items, conflicts, bound, SEARCH_BUDGET,
                                            orders_[oname])
    alive = _alive(items)
    for oname, order in _shuffled_orders(orders_, RESTARTS):
        yield f"restarted search in {oname}", partial(search, items, conflicts, bound,
                                                      RESTART_BUDGET, order, alive)


def _shuffled_orders(orders_: Dict[str, List[int]], count: int) -> List[Tuple[str, List[int]]]:
    """`count` orders, each of orders() in turn with random neighbours swapped (seeded: the same
    plan on every export; Random.random() keeps its sequence across Python versions)."""
    rng = random.Random(0)
    names = list(orders_)
    out: List[Tuple[str, List[int]]] = []
    for k in range(count):
        name = names[k % len(names)]
        order = list(orders_[name])
        for _ in range(len(order) - 1):
            j = int(rng.random() * (len(order) - 1))
            order[j], order[j + 1] = order[j + 1], order[j]
        out.append((name, order))
    return out


def _smaller(best: Optional[Placed], name: str, offsets: Optional[List[int]],
             items: Sequence[Interval], conflicts: List[List[int]]) -> Optional[Placed]:
    if offsets is None or not sound(items, conflicts, offsets):
        return best
    arena = max((off + size for off, (size, _, _) in zip(offsets, items)), default=0)
    return (arena, name, offsets) if best is None or arena < best[0] else best
