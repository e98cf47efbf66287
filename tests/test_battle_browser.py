"""Two reviewers with their own logins battle at the same time in a real browser (Debian's Chromium, driven by
Playwright) on the app launched as a user starts it: nothing names a model before the vote, the reveal does after
it, and the leaderboard counts each reviewer's vote under their login."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backends.config import load_config
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, SCREENSHOTS, TIMEOUT_MS
from tests.test_battle_crash import MODELS, battle_config_file, three_lines
from testkit.servers import launched_app

pytestmark = pytest.mark.slow

USERS = {"alice": "alice-pw-1", "bob": "bob-pw-2"}
VOTE_OF = {"alice": "A is better", "bob": "Tie"}
VOTE_BUTTONS = ("a", "b", "tie", "both_bad")


def open_page(playwright, tmp_path, user: str):
    """A browser of this reviewer's own (its own profile, so its own cookies and login)."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / f"profile-{user}"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        locale="en-US", viewport={"width": 1400, "height": 1800})
    return context, context.pages[0] if context.pages else context.new_page()


def log_in(page, url: str, user: str) -> None:
    page.goto(url)
    page.locator("input[type=password]").wait_for(timeout=TIMEOUT_MS)
    page.locator("input:not([type=password])").first.fill(user)
    page.locator("input[type=password]").fill(USERS[user])
    page.get_by_role("button", name="Login").click()
    page.get_by_role("tab", name="Battle").click(timeout=TIMEOUT_MS)


def grid_rows(table) -> list[list[str]]:
    """The rows of a Gradio DataFrame as shown: its grid's rows (not the header), each as its cells' texts."""
    return [[cell.strip() for cell in row.locator("[role=gridcell]").all_inner_texts()]
            for row in table.locator("[role=row][data-index]").all()]


def test_two_reviewers_battle_blind_at_once_and_the_leaderboard_counts_each(playwright, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    config = battle_config_file(tmp_path)
    document = three_lines(tmp_path)
    names = [load_config(ROOT / "config.yaml").get(key).name for key in MODELS]  # Tesseract 5 (rus+eng), (eng)
    auth = ",".join(f"{user}:{password}" for user, password in USERS.items())
    with launched_app("--config", str(config), "--auth", auth, "--lang", "en") as url:
        sessions = {user: open_page(playwright, tmp_path, user) for user in USERS}
        try:
            pages = {user: page for user, (_, page) in sessions.items()}
            for user, page in pages.items():
                log_in(page, url, user)
                page.locator("#battle-document input[type=file]").set_input_files(str(document))
                page.locator("#battle-preview img").wait_for(timeout=TIMEOUT_MS)
            for page in pages.values():  # both battles start before either is awaited
                page.get_by_role("button", name="Start battle").click()
            for user, page in pages.items():
                for choice in VOTE_BUTTONS:
                    expect(page.locator(f"#battle-vote-{choice}")).to_be_enabled(timeout=TIMEOUT_MS)
                outputs = [page.locator(f"#battle-output-{side} textarea") for side in "ab"]
                assert all("file format" in output.input_value() for output in outputs), user
                shown = page.locator("body").inner_text() + "".join(
                    page.locator(f"#battle-output-{side}").inner_html() for side in "ab")
                assert "tesseract" not in shown.lower(), f"{user} sees a model named before the vote"
                assert not page.locator("#battle-reveal").inner_text().strip()
            for user, page in pages.items():
                page.get_by_role("button", name=VOTE_OF[user], exact=True).click()
            for user, page in pages.items():
                reveal = page.locator("#battle-reveal")
                reveal.get_by_text("Your vote is recorded").wait_for(timeout=TIMEOUT_MS)
                text = reveal.inner_text()
                assert VOTE_OF[user] in text and "Model A was" in text, text
                assert all(name in text for name in names), text  # the two sides are the two models
                assert page.locator("#battle-vote-a").is_disabled()
                page.screenshot(path=str(SCREENSHOTS / f"battle-{user}-en.png"), full_page=True)

            page = pages["alice"]
            page.get_by_role("tab", name="Leaderboard").click()
            page.get_by_role("button", name="Refresh").click()
            reviewers = page.locator("#lb-reviewers")
            expect(reviewers.locator("[role=row][data-index]")).to_have_count(len(USERS), timeout=TIMEOUT_MS)
            assert sorted(grid_rows(reviewers)) == [["alice", "1"], ["bob", "1"]]  # their logins, a vote each
            table = page.locator("#lb-table")
            expect(table.locator("[role=row][data-index]")).to_have_count(len(MODELS), timeout=TIMEOUT_MS)
            ratings = grid_rows(table)
            assert sorted(name for row in ratings for name in names if name in row) == sorted(names), ratings
            assert "2 votes, 2 models, 2 reviewers" in page.locator("#lb-summary").inner_text()
            page.screenshot(path=str(SCREENSHOTS / "leaderboard-en.png"), full_page=True)
        finally:
            for context, _ in sessions.values():
                context.close()
    assert (SCREENSHOTS / "leaderboard-en.png").stat().st_size > 10_000
