"""The relationship map's layout: an org chart of an account's stakeholders drawn from
`reports_to`, computed here in plain Python and rendered by the template as server-side SVG
(no script, CSP-safe: geometry as SVG attributes, colours as CSS classes).

The layout is a layered tidy tree: each person's reports sit one layer below them, a
manager is centred over their reports, and sibling subtrees sit side by side without
overlap. A manager with many reports who have no reports of their own (a CIO's ten heads of)
does not make a row as wide as the page: those leaves wrap into a grid of at most
`WRAP_COLUMNS` columns under the manager, joined by a trunk that runs in the gutter; a
manager whose reports are all leaves stacks them in a compact column (a few columns for
many), so a chart grows down rather than across. People
who report to nobody and have nobody reporting to them ("not placed yet") wrap the same way
under the chart. What is still wider than the card scrolls inside the card, never the page.

`build_map(stakeholders, today=...)` takes the account's stakeholders (with `reports_to_id`)
and returns a `MapLayout`: the placed cards (`Card`: x, y and the person), the reporting
lines as SVG path data, and the drawing's width and height.
"""

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings

from .models import Stakeholder

CARD_WIDTH = 216
CARD_HEIGHT = 118
H_GAP = 28  # between sibling blocks (the trunk of a wrapped grid runs in it)
V_GAP = 56  # between a manager and their reports' layer
ROW_GAP = 28  # between the rows of a wrapped grid
WRAP_COLUMNS = 4  # a manager's leaf reports wrap into rows of this many
MARGIN = 16


def stale_after_days() -> int:
    return settings.KEYPLAN_STAKEHOLDER_STALE_DAYS


def freshness(person: Stakeholder, today: datetime.date) -> str:
    """ "fresh", "stale" (no interaction for more than the stale setting's days) or "none"."""
    if person.last_interaction_at is None:
        return "none"
    age = (today - person.last_interaction_at).days
    return "stale" if age > stale_after_days() else "fresh"


@dataclass
class Card:
    person: Stakeholder
    x: int
    y: int
    freshness: str = "none"

    @property
    def centre_x(self) -> int:
        return self.x + CARD_WIDTH // 2

    @property
    def bottom(self) -> int:
        return self.y + CARD_HEIGHT

    @property
    def flags(self) -> list[str]:
        """What the AM must not miss, in words: a blocker, a detractor."""
        flags = []
        if self.person.buying_role == Stakeholder.BuyingRole.BLOCKER:
            flags.append("Blocker")
        if self.person.attitude <= -2:
            flags.append("Detractor")
        return flags

    @property
    def pips(self) -> list[tuple[int, bool]]:
        """Influence as five dots in the card's top right corner: (centre x, filled)."""
        return [(CARD_WIDTH - 48 + 9 * i, i < self.person.influence) for i in range(5)]

    @property
    def attitude_class(self) -> str:
        """kp-att-m2 (detractor, red) … kp-att-p2 (supporter, green)."""
        value = self.person.attitude
        return f"kp-att-{'m' if value < 0 else 'p'}{abs(value)}"


@dataclass
class MapLayout:
    cards: list[Card] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # SVG path data, one per reporting line
    width: int = 0
    height: int = 0

    @property
    def empty(self) -> bool:
        return not self.cards


@dataclass
class _Block:
    """A laid-out subtree in its own coordinates (origin at its top left)."""

    width: int
    height: int
    cards: list[tuple[Stakeholder, int, int]]
    lines: list[list[tuple[int, int]]]  # polylines, points relative to the block
    anchor_x: int  # where a line from above arrives (the top card's centre)
    trunk: bool = False  # a wrapped grid: the line from above joins its trunk instead

    def shifted(self, dx: int, dy: int) -> tuple[list, list]:
        cards = [(p, x + dx, y + dy) for p, x, y in self.cards]
        lines = [[(x + dx, y + dy) for x, y in line] for line in self.lines]
        return cards, lines


def _leaf(person: Stakeholder) -> _Block:
    return _Block(CARD_WIDTH, CARD_HEIGHT, [(person, 0, 0)], [], CARD_WIDTH // 2)


def _grid(people: Sequence[Stakeholder], columns: int) -> _Block:
    """Leaves in rows of `columns`; a trunk in the left gutter feeds each row's connector,
    so no line crosses a card. The trunk's top is at (-H_GAP // 2, -V_GAP // 2)."""
    columns = max(1, min(columns, len(people)))
    rows = math.ceil(len(people) / columns)
    cards, lines = [], []
    trunk_x = -H_GAP // 2
    for index, person in enumerate(people):
        row, column = divmod(index, columns)
        x = column * (CARD_WIDTH + H_GAP)
        y = row * (CARD_HEIGHT + ROW_GAP)
        cards.append((person, x, y))
        connector_y = y - (V_GAP // 2 if row == 0 else ROW_GAP // 2)
        lines.append(
            [(trunk_x, connector_y), (x + CARD_WIDTH // 2, connector_y), (x + CARD_WIDTH // 2, y)]
        )
    last_row_y = (rows - 1) * (CARD_HEIGHT + ROW_GAP) - (V_GAP // 2 if rows == 1 else ROW_GAP // 2)
    lines.append([(trunk_x, -V_GAP // 2), (trunk_x, last_row_y)])
    width = columns * CARD_WIDTH + (columns - 1) * H_GAP
    height = rows * CARD_HEIGHT + (rows - 1) * ROW_GAP
    return _Block(width, height, cards, lines, anchor_x=trunk_x, trunk=True)


def _row(blocks: list[_Block]) -> tuple[int, int, list, list, list[int]]:
    """Blocks side by side: (width, height, cards, lines, each block's anchor x)."""
    x = 0
    cards, lines, anchors = [], [], []
    height = 0
    for block in blocks:
        if block.trunk:
            x += H_GAP  # room for the trunk in the gutter on its left
        block_cards, block_lines = block.shifted(x, 0)
        cards += block_cards
        lines += block_lines
        anchors.append(x + block.anchor_x)
        height = max(height, block.height)
        x += block.width + H_GAP
    return max(0, x - H_GAP), height, cards, lines, anchors


def _children_blocks(children: list[Stakeholder], reports: dict, seen: set) -> list[_Block]:
    managers = [c for c in children if reports.get(c.pk)]
    leaves = [c for c in children if not reports.get(c.pk)]
    seen.update(c.pk for c in leaves)
    blocks = [_subtree(c, reports, seen) for c in managers]
    if not managers and len(leaves) >= 2:
        # The bottom layer: a compact column (rows of up to WRAP_COLUMNS for many), so a
        # chart grows down rather than across.
        blocks.append(_grid(leaves, min(WRAP_COLUMNS, max(1, len(leaves) // 3))))
    elif len(leaves) > WRAP_COLUMNS:
        blocks.append(_grid(leaves, WRAP_COLUMNS))
    else:
        blocks += [_leaf(c) for c in leaves]
    return blocks


def _subtree(person: Stakeholder, reports: dict, seen: set) -> _Block:
    seen.add(person.pk)
    children = [c for c in reports.get(person.pk, []) if c.pk not in seen]
    if not children:
        return _leaf(person)
    width, height, cards, lines, anchors = _row(_children_blocks(children, reports, seen))
    span_centre = (anchors[0] + anchors[-1]) // 2
    top_x = span_centre - CARD_WIDTH // 2
    # Shift everything so nothing sits left of 0.
    dx = max(0, -top_x)
    top_x += dx
    child_y = CARD_HEIGHT + V_GAP
    placed = [(person, top_x, 0)]
    placed += [(p, x + dx, y + child_y) for p, x, y in cards]
    paths = [[(x + dx, y + child_y) for x, y in line] for line in lines]
    mid_y = CARD_HEIGHT + V_GAP // 2
    parent_x = top_x + CARD_WIDTH // 2
    for anchor in anchors:
        paths.append([(parent_x, CARD_HEIGHT), (parent_x, mid_y), (anchor + dx, mid_y)])
        paths.append([(anchor + dx, mid_y), (anchor + dx, child_y)])
    return _Block(
        width=max(width + dx, top_x + CARD_WIDTH),
        height=child_y + height,
        cards=placed,
        lines=paths,
        anchor_x=parent_x,
    )


def _path(points: list[tuple[int, int]]) -> str:
    first, *rest = points
    return f"M{first[0]} {first[1]}" + "".join(f" L{x} {y}" for x, y in rest)


def build_map(stakeholders: Iterable[Stakeholder], *, today: datetime.date) -> MapLayout:
    """Lay out an account's stakeholders as an org chart (see the module's docstring)."""
    people = list(stakeholders)
    by_id = {p.pk: p for p in people}
    reports: dict[int, list[Stakeholder]] = {}
    for person in people:
        if person.reports_to_id in by_id:
            reports.setdefault(person.reports_to_id, []).append(person)
    roots = [p for p in people if p.reports_to_id not in by_id]
    seen: set[int] = set()
    charts = [r for r in roots if reports.get(r.pk)]
    loose = [r for r in roots if not reports.get(r.pk)]
    blocks = [_subtree(r, reports, seen) for r in charts]
    # A cycle in stored data (the service refuses them) still draws: its people are loose.
    loose += [p for p in people if p.pk not in seen and p not in loose and p not in roots]
    layout = MapLayout()
    y = MARGIN
    width = 0
    if blocks:
        row_width, row_height, cards, lines, _ = _row(blocks)
        for person, x, cy in cards:
            layout.cards.append(Card(person, x + MARGIN, cy + y))
        layout.lines += [_path([(x + MARGIN, py + y) for x, py in line]) for line in lines]
        width = row_width
        y += row_height + V_GAP
    if loose:
        grid = _grid(loose, max(WRAP_COLUMNS, 5))
        for person, x, cy in grid.cards:
            layout.cards.append(Card(person, x + MARGIN, cy + y))
        width = max(width, grid.width)
        y += grid.height + V_GAP
    for card in layout.cards:
        card.freshness = freshness(card.person, today)
    if layout.cards:
        layout.width = width + 2 * MARGIN
        layout.height = y - V_GAP + MARGIN
    layout.cards.sort(key=lambda c: (c.y, c.x))
    return layout
