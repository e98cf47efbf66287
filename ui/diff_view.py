"""The difference between a ground truth and a model's text, as HTML: the model's text with its own line breaks,
what it missed struck through and what it added underlined, by whole words (or by characters), in a box as tall
as the text box beside it, scrolling with it.

Look-alike letters get their own marks, because on screen they cannot be seen: a change that only swaps Cyrillic
and Latin look-alikes ("TATAPCTAH" for "ТАТАРСТАН") is shown once, highlighted, with a badge naming the script the
model wrote; a word that mixes both scripts has its odd letters underlined and a badge. A legend explains the
marks that appear. Whitespace is compared as one space, as the metrics do, so a line break where the truth has a
space is no change; the text is NFKC-normalised like the metrics' (ligatures, combining marks).
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import Indel

from core.lookalikes import CYRILLIC_TO_LATIN, is_lookalike_swap, mixed_script_words, script_of
from ui.i18n import text

MODES = ("words", "chars")
TEXT_BOX_LINES = 20  # the column's text box grows to this many lines, then scrolls; the diff box matches it
_LOOKALIKES = set(CYRILLIC_TO_LATIN) | set(CYRILLIC_TO_LATIN.values())
_TOKENS = {"words": re.compile(r"\s+|\w+|[^\w\s]"), "chars": re.compile(r"\s+|\S")}

# The diff scrolls with its column's text box, and the text box with the diff: scrolling one brings the other to
# the same relative place. One listener per column (a capturing one: scroll events do not bubble) on the column,
# which outlives the text box and the diff box inside it; the other box's echo of a set scroll is ignored.
SCROLL_WITH_TEXT_JS = """
const column = element.closest('.model-column') || element.parentElement;
if (!column || column.dataset.dvScrollSync) return;
column.dataset.dvScrollSync = '1';
let echo = null, echoUntil = 0;
column.addEventListener('scroll', (event) => {
  const source = event.target;
  const fromText = source.tagName === 'TEXTAREA';
  if (!fromText && !(source.classList && source.classList.contains('dv-box'))) return;
  if (source === echo && performance.now() < echoUntil) return;
  const other = column.querySelector(fromText ? '.dv-box' : 'textarea');
  if (!other) return;
  const range = source.scrollHeight - source.clientHeight;
  echo = other;
  echoUntil = performance.now() + 150;
  other.scrollTop = (range > 0 ? source.scrollTop / range : 0) * (other.scrollHeight - other.clientHeight);
}, true);
"""

STYLE = """<style>
.dv-box { white-space: pre-wrap; overflow-wrap: anywhere; overflow-y: auto; font-size: var(--input-text-size);
  line-height: var(--line-sm); padding: var(--input-padding); border: 1px solid var(--border-color-primary);
  border-radius: var(--input-radius); background: var(--input-background-fill); }
.dv-box ins, .dv-legend ins { background: rgba(34, 160, 80, .22); text-decoration: underline; color: inherit; }
.dv-box del, .dv-legend del { background: rgba(220, 50, 50, .18); text-decoration: line-through; color: inherit; }
.dv-swap { background: rgba(245, 158, 11, .35); outline: 1px dashed #b45309; }
.dv-odd { text-decoration: underline wavy #b45309; text-decoration-skip-ink: none; }
.dv-badge { font-size: .7em; font-weight: 600; vertical-align: super; margin: 0 .15em; padding: 0 .3em;
  border-radius: 3px; background: #b45309; color: #fff; white-space: nowrap; }
.dv-legend { font-size: var(--text-sm); margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 14px; }
</style>"""


@dataclass(frozen=True)
class Token:
    text: str  # as written (a whitespace token keeps its line breaks)
    start: int  # offset in its normalised text

    @property
    def key(self) -> str:
        """What is compared: any whitespace is one space."""
        return " " if self.text.isspace() else self.text


def tokens(value: str, mode: str) -> list[Token]:
    return [Token(m.group(), m.start()) for m in _TOKENS[mode].finditer(value)]


def prepare(value: str) -> str:
    """NFKC and stripped, like the metrics; line breaks kept (Windows ones made plain)."""
    return unicodedata.normalize("NFKC", value.replace("\r\n", "\n")).strip()


def _odd_script(word: str) -> str:
    """Which script's letters do not belong in a mixed word: those of the script that has only look-alikes there
    ("П" has no Latin twin, so in "ПEPMЬ" the Latin E, P, M are odd); failing that, the fewer."""
    scripts = [script_of(c) for c in word]
    own = {s for c, s in zip(word, scripts) if s and c not in _LOOKALIKES}
    if len(own) == 1:
        return "latin" if own == {"cyrillic"} else "cyrillic"
    return min(("latin", "cyrillic"), key=scripts.count)


class _Marks:
    """The hypothesis's mixed-script words: which letters are the odd script, and where each word ends."""

    def __init__(self, hypothesis: str):
        self.odd: set[int] = set()
        self.ends: set[int] = set()
        for start, end in mixed_script_words(hypothesis):
            word = hypothesis[start:end]
            odd = _odd_script(word)
            self.odd |= {start + i for i, c in enumerate(word) if script_of(c) == odd}
            self.ends.add(end)


class DiffRenderer:
    """Renders one diff; `counts` says which look-alike marks were used, for the legend."""

    def __init__(self, lang: str):
        self.lang = lang
        self.counts = {"swap": 0, "mixed": 0}
        self.marks: _Marks | None = None

    def body(self, reference: str, hypothesis: str, mode: str) -> str:
        self.marks = _Marks(hypothesis)
        ref, hyp = tokens(reference, mode), tokens(hypothesis, mode)
        parts, changed_ref, changed_hyp = [], [], []
        # Indel (no substitutions) keeps the longest common run of tokens in place, so a word is never paired
        # with an unrelated one; the deletions and insertions between two equal runs are one change.
        for op in Indel.opcodes([t.key for t in ref], [t.key for t in hyp]):
            if op.tag != "equal":
                changed_ref += ref[op.src_start:op.src_end]
                changed_hyp += hyp[op.dest_start:op.dest_end]
                continue
            parts.append(self._replaced(changed_ref, changed_hyp))
            changed_ref, changed_hyp = [], []
            parts.append(self._model_text(hyp[op.dest_start:op.dest_end]))
        parts.append(self._replaced(changed_ref, changed_hyp))
        return "".join(parts)

    def _replaced(self, ref: list[Token], hyp: list[Token]) -> str:
        """Substitutions, pair by pair when the counts match, so that look-alike swaps stand apart; consecutive
        pairs of one kind are grouped (a run of swapped letters gets one badge)."""
        if not ref or not hyp:
            return (self._deleted(ref) if ref else "") + (self._inserted(hyp) if hyp else "")
        pairs = list(zip(ref, hyp)) if len(ref) == len(hyp) else [(ref, hyp)]
        groups: list[tuple[bool, list, list]] = []
        for r, h in pairs:
            r, h = (r, h) if isinstance(r, list) else ([r], [h])
            swap = is_lookalike_swap("".join(t.text for t in r), "".join(t.text for t in h))
            if groups and groups[-1][0] == swap:
                groups[-1][1].extend(r)
                groups[-1][2].extend(h)
            else:
                groups.append((swap, list(r), list(h)))
        return "".join(self._swapped(r, h) if swap else self._deleted(r) + self._inserted(h)
                       for swap, r, h in groups)

    def _swapped(self, ref: list[Token], hyp: list[Token]) -> str:
        self.counts["swap"] += 1
        truth, found = "".join(t.text for t in ref), "".join(t.text for t in hyp)
        # The badge names the script of the letters that changed (a swap may touch only part of a word).
        written = next((script_of(f) for r, f in zip(truth, found) if r != f and script_of(f)), None) or "latin"
        title = html.escape(text(self.lang, "dv_swap_title").format(truth=truth), quote=True)
        badge = text(self.lang, f"dv_script_{written}")
        return (f'<span class="dv-swap" title="{title}">{self._model_text(hyp, badges=False)}</span>'
                f'<span class="dv-badge">{html.escape(badge)}</span>')

    def _deleted(self, ref: list[Token]) -> str:
        return f"<del>{html.escape(_shown(ref, keep_breaks=False))}</del>"

    def _inserted(self, hyp: list[Token]) -> str:
        if all(t.text.isspace() for t in hyp):
            return f"<ins>{html.escape(_shown(hyp, keep_breaks=True))}</ins>"
        return f"<ins>{self._model_text(hyp)}</ins>"

    def _model_text(self, hyp: list[Token], badges: bool = True) -> str:
        """The model's own text, its mixed-script words' odd letters underlined and a badge after each (inside a
        look-alike swap, which has its own badge, the underline alone)."""
        out = []
        for token in hyp:
            for offset, char in enumerate(token.text, token.start):
                escaped = html.escape(char)
                out.append(f'<span class="dv-odd">{escaped}</span>' if offset in self.marks.odd else escaped)
                if offset + 1 in self.marks.ends:
                    self.counts["mixed"] += 1
                    if badges:
                        out.append(f'<span class="dv-badge" title="{html.escape(text(self.lang, "dv_mixed_title"))}">'
                                   f'{html.escape(text(self.lang, "dv_script_mixed"))}</span>')
        return "".join(out)


def _shown(part: list[Token], keep_breaks: bool) -> str:
    """Deleted or inserted text; whitespace alone is drawn (␣, ↵) so that it can be seen."""
    if all(t.text.isspace() for t in part):
        return "".join(("↵\n" if keep_breaks else "↵") if c == "\n" else "␣" for t in part for c in t.text
                       if c in " \n")
    return "".join(" " if t.text.isspace() else t.text for t in part)


def legend(lang: str, counts: dict[str, int], labels: tuple[str, str] | None = None) -> str:
    missing, extra = labels or (text(lang, "diff_missing"), text(lang, "diff_extra"))
    items = [f"<span><del>{html.escape(missing)}</del></span>", f"<span><ins>{html.escape(extra)}</ins></span>"]
    if counts["swap"]:
        scripts = f'{text(lang, "dv_script_latin")}/{text(lang, "dv_script_cyrillic")}'
        items.append(f'<span><span class="dv-swap">Aa</span><span class="dv-badge">{html.escape(scripts)}</span> '
                     f'{html.escape(text(lang, "dv_legend_swap").format(count=counts["swap"]))}</span>')
    if counts["mixed"]:
        items.append(f'<span><span class="dv-odd">a</span><span class="dv-badge">'
                     f'{html.escape(text(lang, "dv_script_mixed"))}</span> '
                     f'{html.escape(text(lang, "dv_legend_mixed").format(count=counts["mixed"]))}</span>')
    return f'<div class="dv-legend">{"".join(items)}</div>'


def diff_html(reference: str, hypothesis: str, lang: str, mode: str = "words",
              labels: tuple[str, str] | None = None, title: str = "") -> str:
    """The diff of `hypothesis` against `reference` as one HTML fragment: an optional title, the legend and a
    box capped at the text box's height. `labels` names the struck and the underlined text (default: missing,
    extra)."""
    renderer = DiffRenderer(lang)
    body = renderer.body(prepare(reference), prepare(hypothesis), mode if mode in MODES else "words")
    heading = f'<div class="dv-title">{html.escape(title)}</div>' if title else ""
    box = (f'<div class="dv-box" style="max-height: calc({TEXT_BOX_LINES} * var(--line-sm) * '
           f'var(--input-text-size) + 2 * var(--input-padding))">{body}</div>')
    return f'{STYLE}<div class="dv-diff" data-mode="{mode}">{heading}{legend(lang, renderer.counts, labels)}{box}</div>'
