"""Keyset ("seek") pagination for long lists: every page costs about what the first one does.

Instead of ``OFFSET n`` (which reads and throws away ``n`` rows), the "Next" link carries the
sort key of the last row shown, and the next page asks for rows after it. The list must be
sorted by columns that are never null and end with a unique one, e.g. ``("name", "pk")``,
``("search_rank", "name", "pk")`` or ``("distance_km", "pk")``; annotations (from
``core.search.search_filter`` or ``core.geo.annotate_distance``) work like columns.

In a view::

    page = paginate_keyset_request(request, queryset, ordering=("name", "pk"))
    return render(request, "members/directory.html", {"page": page})

and in the template ``{% for org in page %}...{% endfor %}`` then
``{% include "includes/pagination.html" with page=page hx_target="#results" %}``.

Cursors in links are signed, so they cannot be edited into arbitrary queries; a bad, stale or
tampered cursor just gives the first page.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import BooleanField, F, Model, Q, QuerySet, Value
from django.db.models.expressions import Expression

__all__ = [
    "DEFAULT_PER_PAGE",
    "Fetch",
    "KeysetPage",
    "carried",
    "paginate_keyset",
    "paginate_keyset_request",
    "row_after",
]

DEFAULT_PER_PAGE = 20
MAX_CURSOR_CHARS = 2000  # a 200-character name of emoji makes a cursor of some 1,400
_SALT = "core.pagination.cursor"

# How a page's rows are read: ``fetch(queryset, forward=..., values=..., limit=...)`` gets the
# queryset already narrowed past the cursor and ordered in reading order, ``forward`` (False when
# reading backwards from a "previous" cursor), the cursor's sort-key ``values`` (``None`` for the
# first page) and how many rows to read; it returns those rows, exactly what
# ``list(queryset[:limit])`` would. A caller that knows where the rows lie (e.g. only the
# districts near a place) can read them more cheaply, but must return the same rows.
Fetch = Callable[..., list]


def _fetch_plainly(queryset: QuerySet, *, forward: bool, values, limit: int) -> list:
    return list(queryset[:limit])


@dataclass
class KeysetPage:
    """One page of a keyset-paginated list.

    Iterate it (or use ``object_list``) for the rows. ``number`` is the page's position counted
    from the first page (1) along the links followed. ``next_cursor``/``previous_cursor`` are
    ``None`` when there is no such page; a ``previous_cursor`` of ``""`` means "the first page"
    (no cursor). ``next_url``/``previous_url`` are set by ``paginate_keyset_request``.
    """

    object_list: list
    number: int = 1
    per_page: int = DEFAULT_PER_PAGE
    has_next: bool = False
    has_previous: bool = False
    next_cursor: str | None = None
    previous_cursor: str | None = None
    next_url: str | None = None
    previous_url: str | None = None
    ordering: tuple[str, ...] = field(default=(), repr=False)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def __bool__(self):
        return bool(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


# --- Cursors --------------------------------------------------------------------------------


def _fingerprint(ordering: Sequence[str]) -> str:
    # A cursor made for one sort order is meaningless for another; tell them apart.
    return hashlib.blake2s(",".join(ordering).encode(), digest_size=4).hexdigest()


def _plain(value: Any) -> Any:
    """A JSON-safe form of a sort-key value that converts back exactly."""
    if value is None:
        raise ValueError(
            "Keyset pagination needs sort keys that are never null; filter out or coalesce "
            "rows with a null key."
        )
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise ValueError(f"Keyset pagination cannot put a {type(value).__name__} in a cursor.")


def _encode(
    direction: str,
    number: int,
    ordering: Sequence[str],
    values: Sequence[Any],
    carry: dict | None = None,
) -> str:
    payload = [direction, number, _fingerprint(ordering), [_plain(v) for v in values]]
    if carry:
        carrying = signing.dumps([*payload, carry], salt=_SALT, compress=True)
        if len(carrying) <= MAX_CURSOR_CHARS:
            return carrying
    return signing.dumps(payload, salt=_SALT, compress=True)  # what it carries is only a saving


def _decode(cursor: str | None, ordering: Sequence[str]):
    """``(direction, number, values, carry)`` from a cursor, or ``None`` if it is absent or not
    ours (``carry`` is ``{}`` when the cursor carries nothing)."""
    if not cursor or len(cursor) > MAX_CURSOR_CHARS:
        return None
    try:
        payload = signing.loads(cursor, salt=_SALT)
        direction, number, fingerprint, values, *rest = payload
    except (signing.BadSignature, ValueError, TypeError):
        return None
    carry = rest[0] if len(rest) == 1 else {}
    if (
        direction not in ("next", "prev")
        or fingerprint != _fingerprint(ordering)
        or not isinstance(number, int)
        or number < 1
        or not isinstance(values, list)
        or len(values) != len(ordering)
        or len(rest) > 1
        or not isinstance(carry, dict)
    ):
        return None
    return direction, number, values, carry


def carried(cursor: str | None, ordering: Sequence[str]) -> dict:
    """What the page that made ``cursor`` put in it (``paginate_keyset``'s ``carry``), e.g. the
    list's count, so that the next page need not work it out again; ``{}`` for no cursor, one
    that carries nothing, or one that is not ours. Signed like the rest of the cursor: only this
    site can have written it, but it is as old as the link it came in, so a caller checks it is
    still true (a data version, the filters it was counted for)."""
    decoded = _decode(cursor, ordering)
    return decoded[3] if decoded else {}


# --- Sort keys ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    name: str
    descending: bool


def _keys(ordering: Sequence[str]) -> list[_Key]:
    if not ordering:
        raise ValueError("Keyset pagination needs an ordering ending in a unique column.")
    keys = [_Key(item.lstrip("-"), item.startswith("-")) for item in ordering]
    if keys[-1].name not in ("pk", "id"):
        raise ValueError(
            f"Keyset pagination's ordering must end with 'pk' (or 'id') so that every row has a "
            f"unique position; got {tuple(ordering)}."
        )
    return keys


def _output_field(queryset: QuerySet, name: str):
    query = queryset.query
    if name in query.annotations:
        return query.annotations[name].output_field
    return query.clone().resolve_ref(name).output_field


def _key_value(obj: Any, name: str, pk_name: str) -> Any:
    if isinstance(obj, dict):  # from .values()
        return obj[pk_name] if name == "pk" and "pk" not in obj else obj[name]
    if name == "pk":
        return obj.pk
    parts = name.split("__")
    for part in parts[:-1]:
        obj = getattr(obj, part)
    last = parts[-1]
    if isinstance(obj, Model):
        with contextlib.suppress(FieldDoesNotExist):  # not a field: an annotation
            last = obj._meta.get_field(last).attname  # a foreign key's id, without a query
    return getattr(obj, last)


def _to_python(queryset: QuerySet, keys: list[_Key], values: list[Any]) -> list[Any] | None:
    converted = []
    for key, value in zip(keys, values, strict=True):
        if value is None:
            return None
        try:
            converted.append(_output_field(queryset, key.name).to_python(value))
        except (ValidationError, TypeError, ValueError):
            return None
    return converted


class _RowCompare(Expression):
    """``(a, b, c) > (x, y, z)``: SQL row-value comparison, which both SQLite and PostgreSQL
    evaluate lexicographically and PostgreSQL can answer from a matching composite index."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, lhs: list, operator: str, rhs: list):
        super().__init__()
        self.lhs, self.operator, self.rhs = lhs, operator, rhs

    def get_source_expressions(self):
        return [*self.lhs, *self.rhs]

    def set_source_expressions(self, exprs):
        self.lhs, self.rhs = exprs[: len(self.lhs)], exprs[len(self.lhs) :]

    def as_sql(self, compiler, connection):
        sqls, params = [], []
        for expression in self.get_source_expressions():
            sql, sql_params = compiler.compile(expression)
            sqls.append(sql)
            params.extend(sql_params)
        half = len(self.lhs)
        return (
            f"({', '.join(sqls[:half])}) {self.operator} ({', '.join(sqls[half:])})",
            params,
        )


def row_after(fields: Sequence[str], values: Sequence[Any], *, forward: bool = True) -> Expression:
    """A filter for rows whose ``fields`` come strictly after ``values`` (before them when not
    ``forward``), comparing row values as a whole: ``(name, id) > ('Oak', 12)``. For a caller
    that reads a keyset page its own way (a ``Fetch``)."""
    return _RowCompare(
        [F(name) for name in fields], ">" if forward else "<", [Value(v) for v in values]
    )


def _seek(queryset: QuerySet, keys: list[_Key], values: list[Any], forward: bool):
    """A filter for rows strictly after (``forward``) or before the row with ``values``."""
    fields = [_output_field(queryset, key.name) for key in keys]
    if len({key.descending for key in keys}) == 1:
        after = forward != keys[0].descending
        return _RowCompare(
            [F(key.name) for key in keys],
            ">" if after else "<",
            [Value(value, output_field=f) for value, f in zip(values, fields, strict=True)],
        )
    # Mixed directions: (a > x) OR (a = x AND b < y) OR ...
    condition = Q()
    for i, key in enumerate(keys):
        step = Q(**{k.name: v for k, v in zip(keys[:i], values[:i], strict=True)})
        lookup = "gt" if forward != key.descending else "lt"
        condition |= step & Q(**{f"{key.name}__{lookup}": values[i]})
    return condition


def _order(keys: list[_Key], reverse: bool) -> list:
    return [(F(k.name).asc() if k.descending == reverse else F(k.name).desc()) for k in keys]


# --- Pages ----------------------------------------------------------------------------------


def paginate_keyset(
    queryset: QuerySet,
    *,
    ordering: Sequence[str],
    cursor: str | None = None,
    per_page: int = DEFAULT_PER_PAGE,
    fetch: Fetch | None = None,
    carry: dict | None = None,
) -> KeysetPage:
    """The page of ``queryset`` sorted by ``ordering`` that ``cursor`` points at (or the first).

    ``ordering`` is like ``order_by``'s arguments ("-" for descending) over never-null columns
    or annotations, ending with "pk". One query per page (two when going back lands short of a
    full page, which then shows the first page instead); the database seeks straight to the
    page, so the last page of a long list costs about what the first does. A missing, malformed,
    tampered or other-ordering cursor gives the first page; nothing here raises for a cursor.
    ``fetch`` (see ``Fetch``) may change how the rows are read, never which rows they are.
    ``carry`` (small, JSON-safe) goes into the page's cursors, for ``carried`` to read back.
    """
    fetch = fetch or _fetch_plainly
    ordering = tuple(ordering)
    keys = _keys(ordering)
    per_page = max(1, int(per_page))
    pk_name = queryset.model._meta.pk.attname
    decoded = _decode(cursor, ordering)
    values = _to_python(queryset, keys, decoded[2]) if decoded else None

    def first_page() -> KeysetPage:
        rows = fetch(
            queryset.order_by(*_order(keys, reverse=False)),
            forward=True,
            values=None,
            limit=per_page + 1,
        )
        return _page(rows[:per_page], 1, len(rows) > per_page, False)

    def _page(rows: list, number: int, has_next: bool, has_previous: bool) -> KeysetPage:
        page = KeysetPage(
            object_list=rows,
            number=number,
            per_page=per_page,
            has_next=has_next and bool(rows),
            has_previous=has_previous,
            ordering=ordering,
        )
        if page.has_next:
            last = [_key_value(rows[-1], k.name, pk_name) for k in keys]
            page.next_cursor = _encode("next", number + 1, ordering, last, carry)
        if has_previous:
            if number - 1 <= 1 or not rows:
                page.previous_cursor = ""  # the first page
            else:
                first = [_key_value(rows[0], k.name, pk_name) for k in keys]
                page.previous_cursor = _encode("prev", number - 1, ordering, first, carry)
        return page

    if values is None:
        return first_page()
    direction, number, _raw, _carry = decoded
    if direction == "next":
        rows = fetch(
            queryset.filter(_seek(queryset, keys, values, forward=True)).order_by(
                *_order(keys, reverse=False)
            ),
            forward=True,
            values=values,
            limit=per_page + 1,
        )
        return _page(rows[:per_page], number, len(rows) > per_page, True)
    rows = fetch(
        queryset.filter(_seek(queryset, keys, values, forward=False)).order_by(
            *_order(keys, reverse=True)
        ),
        forward=False,
        values=values,
        limit=per_page + 1,
    )
    if len(rows) < per_page or number <= 1:
        return first_page()  # back at the start: show a full first page
    return _page(rows[:per_page][::-1], number, True, len(rows) > per_page)


def paginate_keyset_request(
    request,
    queryset: QuerySet,
    *,
    ordering: Sequence[str],
    per_page: int = DEFAULT_PER_PAGE,
    param: str = "cursor",
    fetch: Fetch | None = None,
    carry: dict | None = None,
) -> KeysetPage:
    """``paginate_keyset`` with the cursor read from ``request.GET[param]``, and the page's
    ``next_url``/``previous_url`` set to this path with the other query parameters (search
    words, filters) kept and only ``param`` changed."""
    page = paginate_keyset(
        queryset,
        ordering=ordering,
        cursor=request.GET.get(param),
        per_page=per_page,
        fetch=fetch,
        carry=carry,
    )

    def url(cursor: str | None) -> str | None:
        if cursor is None:
            return None
        query = request.GET.copy()
        query.pop(param, None)
        if cursor:
            query[param] = cursor
        encoded = query.urlencode()
        return f"{request.path}?{encoded}" if encoded else request.path

    page.next_url = url(page.next_cursor)
    page.previous_url = url(page.previous_cursor)
    return page
