"""One-to-one assignment of old measures to new ones from a similarity matrix.

The goal is the pairing with the largest total similarity among pairs at or above a
threshold, with position only breaking ties. Why not just greedy-by-score: on near-duplicate
measures (template items, 由…负责 clauses) the best single pair can steal the partner of
another measure whose only good match it was; the optimum pairs both. Why not one Hungarian
on the full matrix: O(n³) in Python is far too slow at 2,000 × 2,000.

So: keep only edges at or above the threshold, split them into connected components (the
optimum decomposes exactly along components, since an unmatched measure costs nothing), and
solve each component exactly with a Hungarian (shortest augmenting path, numpy inner loop)
when it is small. Real documents give components of one or two measures; a component larger
than `EXACT_LIMIT` (a page of boilerplate items all alike) falls back to greedy by score,
which is what the component's size makes affordable.
"""

from __future__ import annotations

import bisect

import numpy as np

EXACT_LIMIT = 120
"""Largest component side solved exactly; above it greedy is used (cost grows as n³)."""

TIE_WEIGHT = 1e-3
"""Weight of positional distance (0..1) against similarity (0..100): only ever a tie-break."""


def _hungarian_max(weight: np.ndarray) -> list[tuple[int, int]]:
    """Maximum-weight assignment of every row of `weight` (rows <= cols).

    The classic O(n²m) potentials algorithm (Kuhn-Munkres with Dijkstra-like column scans);
    the scan over columns is vectorized, the loop over augmenting steps is Python.
    """
    n, m = weight.shape
    cost = np.zeros((n + 1, m + 1))
    cost[1:, 1:] = -weight  # minimize the negated weight
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    p = np.zeros(m + 1, dtype=np.int64)  # p[j]: row matched to column j (1-based, 0 = free)
    way = np.zeros(m + 1, dtype=np.int64)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = p[j0]
            cur = cost[i0, :] - u[i0] - v
            free = ~used
            better = free & (cur < minv)
            minv[better] = cur[better]
            way[better] = j0
            masked = np.where(free, minv, np.inf)
            j1 = int(np.argmin(masked))
            delta = masked[j1]
            u[p[used]] += delta
            v[used] -= delta
            minv[free] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    return [(int(p[j]) - 1, j - 1) for j in range(1, m + 1) if p[j]]


def _greedy(edges: list[tuple[float, int, int]]) -> list[tuple[int, int]]:
    taken_r: set[int] = set()
    taken_c: set[int] = set()
    pairs = []
    for _w, r, c in sorted(edges, key=lambda e: -e[0]):
        if r in taken_r or c in taken_c:
            continue
        taken_r.add(r)
        taken_c.add(c)
        pairs.append((r, c))
    return pairs


def _components(rows: np.ndarray, cols: np.ndarray, n_rows: int) -> dict[int, list[int]]:
    """Edge indices grouped by connected component (union-find; columns offset by n_rows)."""
    parent = list(range(n_rows + int(cols.max()) + 1 if len(cols) else n_rows))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        a, b = find(r), find(n_rows + c)
        if a != b:
            parent[a] = b
    groups: dict[int, list[int]] = {}
    for k, r in enumerate(rows.tolist()):
        groups.setdefault(find(r), []).append(k)
    return groups


def assign(
    scores: np.ndarray,
    threshold: float,
    row_pos: np.ndarray,
    col_pos: np.ndarray,
) -> list[tuple[int, int, float]]:
    """Pairs (row, col, score) maximizing total score over pairs with score >= threshold.

    `row_pos`/`col_pos` are relative positions (0..1) in each document; among equal scores
    the pair closer in position wins.
    """
    if scores.size == 0:
        return []
    rows, cols = np.nonzero(scores >= threshold)
    if len(rows) == 0:
        return []
    sim = scores[rows, cols].astype(np.float64)
    # Shift by the threshold so every admissible edge is worth > 0 and "unmatched" is 0.
    weight = sim - threshold + 1.0 - TIE_WEIGHT * np.abs(row_pos[rows] - col_pos[cols])
    result: list[tuple[int, int, float]] = []
    for edge_ids in _components(rows, cols, scores.shape[0]).values():
        r_ids = sorted({int(rows[k]) for k in edge_ids})
        c_ids = sorted({int(cols[k]) for k in edge_ids})
        if len(edge_ids) == 1:
            k = edge_ids[0]
            result.append((int(rows[k]), int(cols[k]), float(sim[k])))
            continue
        if min(len(r_ids), len(c_ids)) <= EXACT_LIMIT and max(len(r_ids), len(c_ids)) <= 4 * EXACT_LIMIT:
            r_at = {r: i for i, r in enumerate(r_ids)}
            c_at = {c: j for j, c in enumerate(c_ids)}
            block = np.zeros((len(r_ids), len(c_ids)))
            for k in edge_ids:
                block[r_at[int(rows[k])], c_at[int(cols[k])]] = weight[k]
            transposed = block.shape[0] > block.shape[1]
            solved = _hungarian_max(block.T if transposed else block)
            for a, b in solved:
                i, j = (b, a) if transposed else (a, b)
                if block[i, j] > 0:  # a zero cell is "no edge": leave both unmatched
                    result.append((r_ids[i], c_ids[j], float(scores[r_ids[i], c_ids[j]])))
        else:
            pairs = _greedy([(float(weight[k]), int(rows[k]), int(cols[k])) for k in edge_ids])
            result.extend((r, c, float(scores[r, c])) for r, c in pairs)
    return result


def longest_increasing(seq: list[int]) -> set[int]:
    """Indices of one longest strictly increasing subsequence of `seq` (patience, n log n).

    Applied to the old positions of pairs listed in new order, the indices left out are the
    measures that changed order: a moved measure, not the ones it jumped over.
    """
    tails: list[int] = []  # tails[k]: index in seq ending the best run of length k+1
    prev = [-1] * len(seq)
    tail_vals: list[int] = []
    for i, x in enumerate(seq):
        k = bisect.bisect_left(tail_vals, x)
        if k > 0:
            prev[i] = tails[k - 1]
        if k == len(tails):
            tails.append(i)
            tail_vals.append(x)
        else:
            tails[k] = i
            tail_vals[k] = x
    keep: set[int] = set()
    i = tails[-1] if tails else -1
    while i >= 0:
        keep.add(i)
        i = prev[i]
    return keep


def align_in_order(weight: np.ndarray) -> list[tuple[int, int]]:
    """Order-keeping pairs (r1 < r2 implies c1 < c2) of largest total weight; weight <= 0 is no edge.

    Needleman-Wunsch with free gaps, one row at a time: with X[j] = max(D[i-1][j],
    D[i-1][j-1] + w[i][j]), the row D[i] is the running maximum of X, so each row is two
    numpy operations and a 2,000 × 2,000 gap costs milliseconds, not a Python double loop.
    """
    n, m = weight.shape
    if n == 0 or m == 0:
        return []
    w = np.where(weight > 0, weight, -np.inf)
    table = np.zeros((n + 1, m + 1))
    for i in range(1, n + 1):
        prev = table[i - 1]
        x = np.maximum(prev[1:], prev[:-1] + w[i - 1])
        table[i, 1:] = np.maximum.accumulate(x)
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        if table[i, j] == table[i, j - 1]:
            j -= 1
        elif table[i, j] == table[i - 1, j]:
            i -= 1
        else:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
    pairs.reverse()
    return pairs
