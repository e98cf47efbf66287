"""Chat side by side: one question to several models about the same document, each answering in its own column
and continuing its own conversation; retry and rating per column; transcripts of every conversation."""
from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import gradio as gr

from core.battles.documents import file_hash
from core.chat.conversations import (OCR_READING, Conversations, Turn, conversations_from_json,
                                     conversations_to_json, speed_parts)
from core.chat.messages import NOTICE_MARK, Refusal
from core.chat.pages import PageCache
from core.chat.side_by_side import Round, ask
from core.chat.transcripts import transcript_json, transcript_markdown
from core.documents import DocumentError
from core.exports import write_json
from ui.document_picker import DocumentPicker
from ui.i18n import text
from ui.messages import message_text, state_label
from ui.model_choices import labelled_choices
from ui.numbers import measure
from ui.tab import UI_UPDATE_INTERVAL_S, Tab, reviewer_of


class SideBySideChat(Tab):
    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.store = store
        self.pages = PageCache(self.config.app)
        self.slots = self.config.app.chat_max_side_by_side

    # ----- layout -----
    def build(self) -> None:
        i18n = self.i18n
        with gr.Row():
            self.picker = DocumentPicker(self.config.app, i18n, "chat-sbs", self.language)
            with gr.Column(scale=1, min_width=320):
                self.models = gr.CheckboxGroup(choices=self.model_choices_for(self.forced_language), value=[],
                                               elem_id="chat-sbs-models", label=i18n("chat_sbs_models"),
                                               info=f"≤ {self.slots} · " + i18n("mc_legend"))
                self.question = gr.Textbox(label=i18n("chat_sbs_question"), lines=2, elem_id="chat-sbs-question")
                with gr.Row():
                    self.ask_button = gr.Button(i18n("chat_sbs_ask"), variant="primary", elem_id="chat-sbs-ask")
                    self.export_button = gr.Button(i18n("chat_sbs_export"), elem_id="chat-sbs-export")
                self.status = gr.Markdown(elem_id="chat-sbs-status")
        with gr.Row(equal_height=False):
            self.columns = [self._column(i) for i in range(self.slots)]
        self.files = gr.File(label=i18n("chat_sbs_export"), file_count="multiple", interactive=False,
                             elem_id="chat-sbs-files")
        # The conversations about the document's page on show: {model key: [turns]}.
        self.state = gr.JSON(value={}, visible=False, elem_id="chat-sbs-state")
        self._wire()

    def _column(self, slot: int) -> dict:
        i18n = self.i18n
        with gr.Column(visible=False, min_width=280, elem_id=f"chat-sbs-col-{slot}") as column:
            header = gr.Markdown(elem_id=f"chat-sbs-header-{slot}")
            chat = gr.Chatbot(height=420, buttons=["copy"], show_label=False, elem_id=f"chat-sbs-chat-{slot}")
            metrics = gr.Markdown(elem_id=f"chat-sbs-metrics-{slot}")
            with gr.Row():
                retry = gr.Button(i18n("chat_retry"), size="sm", elem_id=f"chat-sbs-retry-{slot}")
                up = gr.Button(i18n("chat_sbs_good"), size="sm", elem_id=f"chat-sbs-up-{slot}")
                down = gr.Button(i18n("chat_sbs_poor"), size="sm", elem_id=f"chat-sbs-down-{slot}")
                clear = gr.Button(i18n("chat_sbs_clear"), size="sm", elem_id=f"chat-sbs-clear-{slot}")
        return {"column": column, "header": header, "chat": chat, "metrics": metrics, "retry": retry, "up": up,
                "down": down, "clear": clear}

    def _views(self) -> list:
        return [c[name] for c in self.columns for name in ("header", "chat", "metrics")]

    def _wire(self) -> None:
        limit = dict(concurrency_limit=self.config.app.concurrency_limit, concurrency_id="arena")
        inputs = [self.picker.document, self.picker.page, self.question, self.models, self.state]
        outputs = [self.state, self.status, *self._views(), self.question]
        self.status_signal.announce(self.ask_button.click(self.chat_side_by_side, inputs=inputs, outputs=outputs,
                                                     api_name="chat_side_by_side", **limit))
        self.status_signal.announce(self.question.submit(self.chat_side_by_side, inputs=inputs, outputs=outputs,
                                                    api_visibility="private", **limit))
        self.status_signal.redraw(self.redraw_models, inputs=[], outputs=[self.models])
        self.models.change(self.show_columns, inputs=[self.models, self.state],
                           outputs=[c["column"] for c in self.columns] + self._views(), api_visibility="private")
        for slot, column in enumerate(self.columns):
            self.status_signal.announce(column["retry"].click(self._retrier(slot), inputs=inputs[:2] + inputs[3:],
                                                         outputs=outputs, api_visibility="private", **limit))
            for button, rating in ((column["up"], 1), (column["down"], -1)):
                button.click(self._rater(slot, rating), inputs=[self.picker.document, self.models, self.state],
                             outputs=[self.state, *self._views()], api_visibility="private")
            column["clear"].click(self._clearer(slot), inputs=[self.models, self.state],
                                  outputs=[self.state, *self._views()], api_visibility="private")
        self.export_button.click(self.export, inputs=[self.picker.document, self.picker.page, self.state],
                                 outputs=[self.files], api_visibility="private")
        for changed in (self.picker.document, self.picker.page):  # conversations are about one page
            changed.change(self.forget, inputs=[self.models], outputs=[self.state, *self._views()],
                           api_visibility="private")

    def model_choices_for(self, lang: str) -> list[tuple[str, str]]:
        """Every model, marked; those that cannot chat come last (they read the page instead)."""
        return labelled_choices(self.pool, lang, ["chat"], unfit="mc_no_chat")

    def redraw_models(self, request: gr.Request = None):
        return gr.update(choices=self.model_choices_for(self.language(request)))

    # ----- asking -----
    def chat_side_by_side(self, document: str | None, page: str | None, question: str | None,
                          models: list[str] | None, conversations: dict | None, request: gr.Request = None):
        """Ask every chosen model the question about the document, concurrently; each continues its own
        conversation. The first output is the updated conversations: {model key: [turns]}, each turn with its
        question, answer, status, first_token_s, latency_s, tokens_per_s and rating. A question that cannot be
        asked (no model, no document, ...) leaves everything as it was and says why in the status line."""
        lang = self.language(request)
        try:
            keys = self._chosen(models, lang)
            if not (question or "").strip():
                raise Refusal(text(lang, "chat_err_no_question"))
        except Refusal as refusal:
            yield self._refused(refusal)
            return
        yield from self._run(document, page, question.strip(), keys, keys, conversations, lang)

    def _refused(self, refusal: Exception) -> list:
        """The outputs of a question not asked: the reason in the status line, everything else untouched."""
        return [gr.skip(), f"{NOTICE_MARK} {refusal}", *[gr.skip() for _ in self._views()], gr.skip()]

    def _run(self, document, page, question: str, asked: list[str], shown: list[str], conversations, lang: str):
        if not document:
            yield self._refused(Refusal(text(lang, "chat_err_no_document")))
            return
        try:
            image, encoded = self.pages.page(document, page)
            state = conversations_from_json(conversations)
        except (DocumentError, ValueError) as exc:
            yield self._refused(exc)
            return
        last, current = 0.0, None
        for current in ask(self.pool, image, encoded, question, asked, state, self.config.app.chat_max_turns):
            if time.perf_counter() - last >= UI_UPDATE_INTERVAL_S:  # tokens are batched per screen update
                last = time.perf_counter()
                yield self._render(state, shown, current, lang, done=False)
        capped = current.capped if current is not None else []
        yield self._render(state, shown, Round(question, [], capped) if capped else None, lang, done=True)

    def _retrier(self, slot: int):
        def retry(document, page, models, conversations, request: gr.Request = None):
            """Ask this column's model its last question again (the earlier answer is dropped)."""
            lang = self.language(request)
            try:
                keys = self._chosen(models, lang)
                state = conversations_from_json(conversations)
                if slot >= len(keys) or not state.get(keys[slot]):
                    raise Refusal(text(lang, "chat_err_nothing_to_retry"))
            except (Refusal, ValueError) as refusal:
                yield self._refused(refusal)
                return
            question = state[keys[slot]].pop().question
            yield from self._run(document, page, question, [keys[slot]], keys, conversations_to_json(state), lang)
        return retry

    def _chosen(self, models: list[str] | None, lang: str) -> list[str]:
        keys = self.selected_models(models)
        if not keys:
            raise Refusal(text(lang, "err_no_models"))
        if len(keys) > self.slots:
            raise Refusal(text(lang, "chat_sbs_too_many").format(count=self.slots))
        return keys

    def _clearer(self, slot: int):
        def clear(models, conversations, request: gr.Request = None):
            """Clear this column's conversation (its model starts afresh); the other models keep theirs."""
            keys = self.selected_models(models)[: self.slots]
            state = conversations_from_json(conversations) if isinstance(conversations, dict) else {}
            if slot < len(keys):
                state.pop(keys[slot], None)
            return [conversations_to_json(state), *self._render(state, keys, None, self.language(request), True)[2:-1]]
        return clear

    def forget(self, models: list[str] | None, request: gr.Request = None):
        """Another document or page starts every conversation afresh: answers about another page would mislead
        the models and the reader."""
        keys = self.selected_models(models)[: self.slots]
        return [{}, *self._render({}, keys, None, self.language(request), done=True)[2:-1]]

    # ----- showing -----
    def show_columns(self, models: list[str] | None, conversations: dict | None, request: gr.Request = None):
        keys = self.selected_models(models)[: self.slots]
        state = conversations_from_json(conversations) if isinstance(conversations, dict) else {}
        visible = [gr.update(visible=slot < len(keys)) for slot in range(self.slots)]
        return visible + self._render(state, keys, None, self.language(request), done=True)[2:-1]

    def _render(self, state: Conversations, keys: list[str], current: Round | None, lang: str, done: bool) -> list:
        views = []
        for slot in range(self.slots):
            if slot >= len(keys):
                views += ["", [], ""]
                continue
            key = keys[slot]
            turns = state.get(key, [])
            messages = _messages(turns, lang)
            asking = current is not None and key in current.keys and key not in current.capped
            if asking and not current.answered(key, turns):
                messages += [{"role": "user", "content": current.question},
                             {"role": "assistant", "content": current.live.get(key) or "…"}]
            capped = current is not None and key in current.capped
            note = text(lang, "chat_sbs_capped").format(turns=self.config.app.chat_max_turns) if capped else ""
            views += [f"### {self.config.get(key).name}", messages, note or _metrics(turns, lang)]
        status = text(lang, "chat_sbs_done") if done else "…"
        return [conversations_to_json(state), status, *views, "" if done else gr.skip()]

    # ----- rating and transcripts -----
    def _rater(self, slot: int, rating: int):
        def rate(document, models, conversations, request: gr.Request = None):
            lang = self.language(request)
            keys = self.selected_models(models)
            state = conversations_from_json(conversations)
            turns = state.get(keys[slot], []) if slot < len(keys) else []
            if not turns or not document:  # said under the column, not over it
                views = [gr.skip() for _ in self._views()]
                views[3 * slot + 2] = f"{NOTICE_MARK} {text(lang, 'chat_sbs_nothing_to_rate')}"
                return [gr.skip(), *views]
            turn = turns[-1]
            turn.rating = rating
            self.store.add_answer_rating(reviewer_of(request, None), keys[slot], file_hash(Path(document)),
                                         turn.question, turn.answer, rating)
            return [conversations_to_json(state), *self._render(state, keys, None, lang, True)[2:-1]]
        return rate

    def export(self, document: str | None, page: str | None, conversations: dict | None):
        state = conversations_from_json(conversations)
        if not state:
            return None
        names = {key: self.config.get(key).name for key in state if self.config.find(key)}
        name = document.rsplit("/", 1)[-1] if document else "—"
        folder = self.exports.folder_for(f"chat-{time.strftime('%Y%m%d-%H%M%S')}")
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for label, chosen in [("session", state)] + [(key, {key: turns}) for key, turns in state.items()]:
            (folder / f"chat-{label}.md").write_text(transcript_markdown(name, page or "1", chosen, names),
                                                     encoding="utf-8")
            write_json(folder / f"chat-{label}.json", transcript_json(name, page or "1", chosen, names))
            files += [str(folder / f"chat-{label}.md"), str(folder / f"chat-{label}.json")]
        return files


def _messages(turns: list[Turn], lang: str) -> list[dict]:
    messages = []
    for turn in turns:
        messages.append({"role": "user", "content": turn.question})
        if turn.status == "ok":
            messages.append({"role": "assistant", "content": turn.answer})
        elif turn.status == OCR_READING:
            messages.append({"role": "assistant", "content": turn.answer, "metadata": {"title": "OCR"}})
        else:
            body = message_text(lang, turn.code, turn.message) or turn.answer
            messages.append({"role": "assistant", "content": body,
                             "metadata": {"title": f"⚠ {state_label(lang, turn.status, turn.code)}"}})
    return messages


def _metrics(turns: list[Turn], lang: str) -> str:
    if not turns:
        return ""
    labels = {"first_token": text(lang, "m_first_token"), "latency": text(lang, "m_latency")}
    # Symbols DejaVu has, so they show on a bare Linux box too (colour emoji often do not).
    rating = {1: ["✓"], -1: ["✗"]}.get(turns[-1].rating or 0, [])
    figure = partial(measure, lang)  # "1,30 с" in Russian
    return " · ".join(speed_parts(turns[-1], labels, figure) + rating)
