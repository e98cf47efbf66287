"""The Battle tab: two anonymous models on one document, side by side as A and B, then a vote and the reveal.

Everything shown before the vote comes from `Battle.anonymous()` and the two texts: no name, key, engine detail or
error message of either model reaches the page or the API until the vote is in.
"""
from __future__ import annotations

import random
import time
import uuid

import gradio as gr

from core.arena_run import ARENA_TASKS
from core.battles.documents import NoDocuments, random_document, uploaded_document
from core.battles.session import VOTES, Battle, BattleArena, BattleError
from core.documents import DocumentError
from ui.diff_view import diff_html
from ui.document_picker import DocumentPicker
from ui.i18n import text
from ui.tab import UI_UPDATE_INTERVAL_S, Tab, reviewer_of
from ui.toasts import error


DIFF_TITLES = ("battle_diff_ab", "battle_diff_a_truth", "battle_diff_b_truth")


class BattleTab(Tab):
    def __init__(self, *args, arena: BattleArena, **kwargs):
        super().__init__(*args, **kwargs)
        self.battles = arena
        self._rng = random.Random()

    # ----- layout -----
    def build(self) -> None:
        i18n = self.i18n
        gr.Markdown(i18n("battle_intro"))
        with gr.Row():
            self.picker = DocumentPicker(self.config.app, i18n, "battle", self.language)
            with gr.Column(scale=1, min_width=320):
                self.task = gr.Radio(choices=[(i18n(f"task_{t}"), t) for t in ARENA_TASKS], value="ocr",
                                     label=i18n("ar_task"), elem_id="battle-task")
                # No model is picked by hand here; this says how many can be drawn, before a battle is started.
                self.candidates = gr.Markdown(self.describe_candidates("ocr"), elem_id="battle-candidates")
                self.truth = gr.Textbox(label=i18n("battle_truth"), lines=3, elem_id="battle-truth")
                with gr.Row():
                    self.start_button = gr.Button(i18n("battle_start"), variant="primary", elem_id="battle-start")
                    self.random_button = gr.Button(i18n("battle_random"), elem_id="battle-random")
                self.status = gr.Markdown(elem_id="battle-status")
        with gr.Row(equal_height=False):
            self.text_a = gr.Textbox(label=i18n("battle_model_a"), lines=14, max_lines=30, interactive=False,
                                     elem_id="battle-output-a")
            self.text_b = gr.Textbox(label=i18n("battle_model_b"), lines=14, max_lines=30, interactive=False,
                                     elem_id="battle-output-b")
        with gr.Row():
            self.vote_buttons = {choice: gr.Button(i18n(f"battle_vote_{choice}"), interactive=False,
                                                   elem_id=f"battle-vote-{choice}") for choice in VOTES}
        self.reveal = gr.Markdown(elem_id="battle-reveal")
        with gr.Accordion(i18n("battle_diffs"), open=True):
            self.diffs = [gr.HTML(elem_id=f"battle-{key.replace('_', '-')}", elem_classes=["battle-diff"])
                          for key in DIFF_TITLES]
        with gr.Accordion("JSON", open=False):
            self.info = gr.JSON(elem_id="battle-json")
        self.battle_id = gr.State()
        self.browser_id = gr.BrowserState(None, storage_key="ocr-arena-reviewer")
        self._wire()

    def _wire(self) -> None:
        start_outputs = [self.info, self.status, self.text_a, self.text_b, *self.diffs, self.reveal,
                         *self.vote_buttons.values(), self.battle_id]
        limit = dict(concurrency_limit=self.config.app.concurrency_limit, concurrency_id="arena")
        # A start does not tell the other panels that model status changed while its battle awaits a vote: the
        # loaded-models panel would redraw with the battle's two models just used. A vote that counts does.
        for started in (self.start_button.click(
                self.start_battle, inputs=[self.picker.document, self.picker.page, self.task, self.truth],
                outputs=start_outputs, api_name="battle_start", **limit),
                self.random_button.click(self.start_random, inputs=[self.task], outputs=start_outputs,
                                         api_visibility="private", **limit)):
            started.then(self._settled, inputs=[self.battle_id], outputs=[self.status_signal.state],
                         api_visibility="private")
        self.task.change(self.describe_candidates, inputs=[self.task], outputs=[self.candidates],
                         api_visibility="private")
        self.status_signal.redraw(self.describe_candidates, inputs=[self.task], outputs=[self.candidates])
        vote_outputs = [self.info, self.reveal, *self.vote_buttons.values(), self.browser_id]
        for choice, button in self.vote_buttons.items():  # a vote that counted (only) tells the other panels
            button.click(self._voter(choice), inputs=[self.battle_id, self.browser_id], outputs=vote_outputs,
                         api_visibility="private").success(time.monotonic_ns, outputs=[self.status_signal.state],
                                                           api_visibility="private")
        gr.api(self.vote_api, api_name="battle_vote")

    def describe_candidates(self, task: str | None, request: gr.Request = None) -> str:
        """How many models can be drawn for the task here (never which: the battle stays blind)."""
        lang = self.language(request)  # without a request (the first render): the forced language, or English
        count = len(self.battles.candidates(task if task in ARENA_TASKS else "ocr"))
        return text(lang, "battle_candidates" if count >= 2 else "battle_too_few_candidates").format(count=count)

    # ----- starting and streaming -----
    def start_battle(self, document: str | None, page: str | None = "1", task: str | None = "ocr",
                     truth: str | None = None, request: gr.Request = None):
        """A battle on this document, or (no document) on a random one from the battle sets; streams A and B.
        The first output is a JSON object: battle_id, both outputs, and whether it can be voted on."""
        lang = self.language(request)
        try:
            if document:
                chosen = uploaded_document(document, page, self.config.app, truth)
            else:
                chosen = random_document(self.config.app.battle_document_folders(), self.config.app, self._rng)
            battle = self.battles.start(chosen, task if task in ARENA_TASKS else "ocr")
        except DocumentError as exc:
            raise error(lang, str(exc)) from None
        except NoDocuments:
            raise error(lang, text(lang, "battle_err_no_documents")) from None
        except BattleError as exc:
            raise error(lang, battle_message(exc, lang)) from None
        yield self._render(battle, lang)
        last = time.perf_counter()
        for _ in self.battles.run(battle):
            if time.perf_counter() - last >= UI_UPDATE_INTERVAL_S and not battle.finished:
                last = time.perf_counter()
                yield self._render(battle, lang)
        yield self._render(battle, lang)

    def start_random(self, task: str | None = "ocr", request: gr.Request = None):
        yield from self.start_battle(None, "1", task, None, request)

    def _settled(self, battle_id: str | None):
        """After a start: the model-status signal, unless the battle awaits its vote (an outage never gets one)."""
        battle = self.battles.get(battle_id or "")
        if battle is not None and not battle.voted and not battle.failed_sides():
            return gr.skip()
        return time.monotonic_ns()

    def _render(self, battle: Battle, lang: str) -> list:
        shown = battle.anonymous()
        votable = shown["votable"]
        if not battle.finished:
            status = text(lang, "battle_running").format(document=battle.document.name)
        elif battle.failed_sides():
            side = battle.failed_sides()[0]
            status = text(lang, "battle_outage").format(side=side.upper(),
                                                        status=text(lang, f"st_{shown[f'status_{side}']}"))
        else:
            status = text(lang, "battle_ready").format(document=battle.document.name)
        diffs = self._diffs(battle, lang) if battle.finished else [None, None, None]
        buttons = [gr.update(interactive=votable) for _ in VOTES]
        return [shown, status, battle.texts["a"], battle.texts["b"], *diffs, "", *buttons, battle.battle_id]

    def _diffs(self, battle: Battle, lang: str) -> list:
        """A against B (struck: only in A, underlined: only in B), then each against the truth when there is one;
        by words, look-alike letters marked."""
        a, b, truth = battle.texts["a"], battle.texts["b"], battle.document.truth
        titles = [text(lang, key) for key in DIFF_TITLES]
        against_b = diff_html(a, b, lang, labels=(text(lang, "battle_only_a"), text(lang, "battle_only_b")),
                              title=titles[0])
        if truth is None:
            return [against_b, "", ""]
        return [against_b] + [diff_html(truth, output, lang, title=title) for output, title in zip((a, b), titles[1:])]

    # ----- voting -----
    def _voter(self, choice: str):
        def vote(battle_id: str | None, browser_id: str | None, request: gr.Request = None):
            lang = self.language(request)
            browser_id = browser_id or uuid.uuid4().hex[:12]  # kept in the browser: one reviewer across visits
            reveal = self._cast(battle_id, choice, reviewer_of(request, browser_id), lang)
            return [reveal, reveal_text(reveal, lang), *[gr.update(interactive=False) for _ in VOTES], browser_id]
        return vote

    def vote_api(self, battle_id: str, vote: str, request: gr.Request) -> dict:
        """Vote on a finished battle: `a`, `b`, `tie` or `both_bad`. Returns the reveal: model_a and model_b (the
        model keys), their names, latencies and, with ground truth, CERs."""
        return self._cast(battle_id, vote, reviewer_of(request, None), self.language(request))

    def _cast(self, battle_id: str | None, choice: str, reviewer: str, lang: str) -> dict:
        try:
            return self.battles.vote(battle_id or "", choice, reviewer)
        except BattleError as exc:
            raise error(lang, battle_message(exc, lang)) from None


def battle_message(error: BattleError, lang: str) -> str:
    return text(lang, f"battle_err_{error.code}").format(**error.details)


def reveal_text(reveal: dict, lang: str) -> str:
    def seconds(value):
        return "—" if value is None else f"{value:.2f}"

    lines = [text(lang, "battle_recorded").format(vote=text(lang, f"battle_vote_{reveal['vote']}")),
             text(lang, "battle_reveal").format(name_a=reveal["name_a"], name_b=reveal["name_b"],
                                                latency_a=seconds(reveal["latency_a"]),
                                                latency_b=seconds(reveal["latency_b"]))]
    if reveal["cer_a"] is not None or reveal["cer_b"] is not None:
        lines.append(text(lang, "battle_reveal_cer").format(
            cer_a="—" if reveal["cer_a"] is None else f"{reveal['cer_a']:.3f}",
            cer_b="—" if reveal["cer_b"] is None else f"{reveal['cer_b']:.3f}"))
    return "\n\n".join(lines)
