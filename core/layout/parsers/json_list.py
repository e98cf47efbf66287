"""The list of element objects in a JSON layout reply (dots.ocr, Qwen grounding), also when the reply is near-JSON
or was cut off by the token limit mid-list.

A cut-off reply keeps its complete elements: a scan that knows strings and brackets finds where each top-level
element of the list closes, and the text up to the last of those is parsed. Near-JSON (single quotes, trailing
commas, comments) goes to json_repair.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import json_repair

from core.layout.parsers.boxes import UnreadableReply

_FENCE = re.compile(r"```[\w-]*[ \t]*\n?(.*?)(?:```|$)", re.S)


@dataclass
class JsonList:
    items: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


@dataclass
class _Scan:
    closed_at: int | None  # just past the bracket that closes the outermost value; None: it never closes
    # Just past each complete element of the first list met, with the brackets that would close what is open there.
    element_ends: list[tuple[int, str]]


def read_json_list(reply: str) -> JsonList:
    """The element objects of the reply's list; raises UnreadableReply when there is none to read."""
    body = _json_body(reply)
    scan = _scan(body)
    notes: list[str] = []
    if scan.closed_at is not None:
        value = _load(body[:scan.closed_at], "", notes)
    elif scan.element_ends:
        end, closers = scan.element_ends[-1]
        count = len(scan.element_ends)
        notes.append(f"cut off after {count} element{'' if count == 1 else 's'} (token limit?): the list never "
                     "closes; the complete elements are kept")
        value = _load(body[:end], closers, notes)
    else:
        raise UnreadableReply("the reply was cut off before its first element was complete")
    items = _element_objects(value)
    if not items:
        raise UnreadableReply("the JSON holds no layout elements (objects with a box)")
    skipped = _count_non_objects(value)
    if skipped:
        notes.append(f"{skipped} list entr{'y' if skipped == 1 else 'ies'} that are not objects skipped")
    return JsonList(items, notes)


def _json_body(reply: str) -> str:
    """From the first bracket of the reply's JSON, inside a ```json fence where there is one."""
    text = reply.strip()
    if not text:
        raise UnreadableReply("the reply is empty")
    fenced = _FENCE.search(text)
    if fenced and fenced.group(1).strip():
        text = fenced.group(1)
    starts = [i for i in (text.find("["), text.find("{")) if i >= 0]
    if not starts:
        raise UnreadableReply("no JSON list in the reply (it has no '[' or '{')")
    return text[min(starts):]


_CLOSER = {"[": "]", "{": "}"}


def _scan(body: str) -> _Scan:
    """Where the outermost value closes and where each element of the first list ends, minding strings in double
    quotes and, as near-JSON has them, in single quotes that open where a key or value may start."""
    stack: list[str] = []
    list_depth, quote, escaped, previous = 0, "", False, ""
    ends: list[tuple[int, str]] = []
    for i, ch in enumerate(body):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote, previous = "", ch
            continue
        if ch == '"' or (ch == "'" and previous in "[{,:"):
            quote = ch
            continue
        if ch in "[{":
            stack.append(ch)
            if ch == "[" and not list_depth:
                list_depth = len(stack)
        elif ch in "]}" and stack:
            stack.pop()
            if not stack:
                return _Scan(i + 1, ends)
            if len(stack) == list_depth:
                ends.append((i + 1, "".join(_CLOSER[c] for c in reversed(stack))))
        if not ch.isspace():
            previous = ch
    return _Scan(None, ends)


def _load(text: str, closers: str, notes: list[str]) -> Any:
    """Strict JSON first (closed with `closers` where a cut left brackets open); json_repair for near-JSON."""
    try:
        return json.loads(text + closers)
    except json.JSONDecodeError:
        pass
    try:
        value = json_repair.loads(text + closers)
    except Exception as error:  # json_repair gives up with assorted errors on text that is not JSON at all
        raise UnreadableReply(f"not JSON, even with repairs ({error})") from None
    if value in ("", None):
        raise UnreadableReply("not JSON, even with repairs")
    notes.append("near-JSON repaired (quotes, commas or brackets)")
    return value


def _element_objects(value: Any) -> list[dict[str, Any]]:
    """The objects of the reply's list; a wrapper object ({"layout": [...]}) or a lone element is unwrapped."""
    if isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list) and any(isinstance(x, dict) for x in v)]
        value = lists[0] if lists else [value]
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict) and item]


def _count_non_objects(value: Any) -> int:
    return sum(1 for item in value if not isinstance(item, dict)) if isinstance(value, list) else 0
