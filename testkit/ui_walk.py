"""A walk through every tab of a served app in a real browser, as a new user would: one small action per tab,
then what the page shows. The Russian-walk test and scripts/screenshots.py share it.

For each tab it returns the visible interface text (labels, buttons, tables, messages: not the text boxes,
whose content is the document's), the table headers that break inside a word, and how far the page scrolls
sideways. Element ids are the app's own (ui/*.py `elem_id`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ui.i18n import text

TABS = ("arena", "chat", "fields", "benchmark", "battle", "leaderboard")
TAB_LABEL_KEYS = {tab: f"ar_tab_{tab}" for tab in TABS}
TIMEOUT_MS = 120_000

# The page's words outside text boxes and rendered documents (a model's reply may be in any language).
VISIBLE_TEXT_JS = """() => {
  const skip = (el) => el.closest('textarea, input, .arena-diff, .layout-doc, .diff-view, .prose-document,'
                                  + ' [data-testid="bot"], [data-testid="user"], .message-content, pre, code');
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || skip(el) || !node.textContent.trim()) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || style.display === 'none') continue;
    out.push(node.textContent.trim());
  }
  // Placeholders and tooltips are read too; aria-labels are not (Gradio's own, for screen readers), nor the
  // code editor's gutter ("Fold line": CodeMirror's, in the JSON view).
  for (const el of document.querySelectorAll('[placeholder], [title]')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || el.closest('.cm-editor')) continue;
    for (const name of ['placeholder', 'title']) {
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push(value.trim());
    }
  }
  return out;
}"""

# A header cell whose single word spans two lines: the word was broken (no room, and wrapping anywhere allowed).
BROKEN_HEADERS_JS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('th, [role=columnheader]')) {
    const box = cell.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /\\S+/g;
      let match;
      while ((match = re.exec(node.textContent)) !== null) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""

# Gradio's "processing | 0.8s" and its progress bars, on any component still waiting for its value.
IDLE_JS = """() => ![...document.querySelectorAll('.progress-text, .eta-bar, .progress-bar')]
  .some(el => el.offsetParent !== null)"""

SIDEWAYS_SCROLL_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@dataclass
class TabSeen:
    tab: str
    texts: list[str]
    broken_header_words: list[str]
    sideways_scroll_px: int
    screenshot: Path | None


def open_browser(playwright, chromium: str, args: list[str], profile: Path, locale: str, width: int):
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=chromium, headless=True, args=args, locale=locale,
        viewport={"width": width, "height": 1000})
    return context, context.pages[0] if context.pages else context.new_page()


def walk(page, url: str, lang: str, samples: Path, shots: Path | None = None, width: int = 1400) -> list[TabSeen]:
    """Visit every tab in `lang`, doing one small thing in each; returns what each tab showed after it."""
    page.goto(url)
    page.locator("#arena-run").wait_for(timeout=TIMEOUT_MS)
    seen = []
    for tab in TABS:
        page.get_by_role("tab", name=text(lang, TAB_LABEL_KEYS[tab]), exact=True).click()
        ACTIONS[tab](page, lang, samples)
        page.wait_for_function(IDLE_JS, timeout=TIMEOUT_MS)  # no component still shows "processing"
        page.wait_for_timeout(500)  # the last redraw settles
        shot = None
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            shot = shots / f"{tab}-{lang}-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
        seen.append(TabSeen(tab, page.evaluate(VISIBLE_TEXT_JS), page.evaluate(BROKEN_HEADERS_JS),
                            int(page.evaluate(SIDEWAYS_SCROLL_JS)), shot))
    return seen


def _licence(samples: Path) -> Path:
    return samples / "ru_licences" / "images" / "licence_01.png"


def _arena(page, lang: str, samples: Path) -> None:
    """Read a licence with the default models (the ones that can run), against its truth."""
    page.locator("#arena-document input[type=file]").set_input_files(str(_licence(samples)))
    page.locator("#arena-preview img").first.wait_for(timeout=TIMEOUT_MS)
    truth = (samples / "ru_licences" / "gt" / "licence_01.gt.txt").read_text(encoding="utf-8")
    page.locator("#arena-truth textarea").fill(truth)
    page.locator("#arena-run").click()
    page.locator("#arena-table table").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#arena-accuracy-chart .js-plotly-plot").wait_for(timeout=TIMEOUT_MS)


def _chat(page, lang: str, samples: Path) -> None:
    """Ask the default chat model about a licence: it answers, or says in the conversation why it cannot."""
    page.locator("#chat-input input[type=file]").set_input_files(str(_licence(samples)))
    page.locator("#chat-input img").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#chat-input textarea").fill(text(lang, "ar_tab_fields"))
    page.locator("#chat-input textarea").press("Enter")
    page.locator("#chat-history [data-testid=bot]").first.wait_for(timeout=TIMEOUT_MS)


def _fields(page, lang: str, samples: Path) -> None:
    """Pick a licence card among the samples (it brings its template and true values), then extract."""
    page.locator("#fields-samples").get_by_text("licence_01.png").click()
    page.locator("#fields-preview img").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#fields-run").click()
    page.locator("#fields-status").get_by_text("✓").wait_for(timeout=TIMEOUT_MS)
    page.locator("#fields-table table").first.wait_for(timeout=TIMEOUT_MS)


def _benchmark(page, lang: str, samples: Path) -> None:
    page.locator("#bench-dataset").get_by_text("ru_licences").click()
    page.locator("#bench-limit input").fill("2")
    page.locator("#bench-run").click()
    page.locator("#bench-status").get_by_text("✓").wait_for(timeout=TIMEOUT_MS)
    page.locator("#bench-pareto .js-plotly-plot").wait_for(timeout=TIMEOUT_MS)


def _battle(page, lang: str, samples: Path) -> None:
    """A blind battle on a licence: both answers shown, the vote buttons ready."""
    page.locator("#battle-document input[type=file]").set_input_files(str(_licence(samples)))
    page.locator("#battle-preview img").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#battle-start").click()
    page.wait_for_function("() => { const b = document.querySelector('#battle-vote-a');"
                           " return b && !b.disabled; }", timeout=TIMEOUT_MS)


def _leaderboard(page, lang: str, samples: Path) -> None:
    page.locator("#lb-refresh").click()
    page.locator("#lb-summary").wait_for(timeout=TIMEOUT_MS)


ACTIONS = {"arena": _arena, "chat": _chat, "fields": _fields, "benchmark": _benchmark, "battle": _battle,
           "leaderboard": _leaderboard}
