"""The Chat tab: a multi-turn conversation about a document with one model at a time, through the same pool
(a model warm from the arena is not reloaded).

The document image lives in the chat history itself, as the last file the user sent, so the history is the
whole state of a conversation: it round-trips through the API. Each model keeps its own conversation about each
document page (core/chat/threads.py): switching the model or the PDF page puts the conversation on screen aside
under its model, document and page, and brings back the chosen model's conversation about the document on screen
and the page chosen, or starts one on that document. A page is decoded once and encoded once for all the turns
about it (core/chat/pages.py). Models that cannot chat (OCR engines, GOT) say so and offer to read the text
instead, clearly labelled as OCR output: the tab never pretends they answered.
"""
from __future__ import annotations

import time

import gradio as gr

from backends.contracts.requests import PageRequest
from backends.contracts.results import ModelResult, Progress, Status
from core.chat.messages import Refusal, document_of, message_text, question_answer_pairs, with_notice
from core.chat.pages import PageCache
from core.chat.threads import shown_as, swap
from core.documents import DocumentError
from core.samples import text_samples
from ui.document_picker import BrowserCopies, SampleGallery, chat_page_selector
from ui.i18n import text
from ui.messages import availability_text, result_text, state_label
from ui.model_choices import default_model, labelled_choices
from ui.tab import UI_UPDATE_INTERVAL_S, Tab

ERROR_TITLE = "⚠"
OCR_TITLE = "OCR"


class ChatTab(Tab):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.copies = BrowserCopies()  # PNG copies of what a browser cannot show (TIFF); the engines read originals
        self.pages = PageCache(self.config.app)  # each page decoded and encoded once, whatever the turns

    def build(self, arena_document: gr.File, arena_page: gr.Dropdown) -> None:
        i18n = self.i18n
        # A model that can run now: one that chats if any can, else one that reads the text (its OCR button).
        first = default_model(self.pool, ["chat"], ["ocr"])
        with gr.Row():
            self.model = gr.Dropdown(choices=self.model_choices_for(self.forced_language), value=first,
                                     label=i18n("chat_model"), info=i18n("mc_legend"), elem_id="chat-model", scale=3)
            # Shown for a PDF only (chat_page_selector): an image has one page.
            self.page = gr.Dropdown(choices=["1"], value="1", allow_custom_value=True, label=i18n("chat_page"),
                                    elem_id="chat-page", scale=1, visible=False)
        self.capability = gr.Markdown(self.describe(first, self.forced_language), elem_id="chat-capability")
        self.chatbot = gr.Chatbot(label=i18n("chat_history"), height=520, buttons=["copy"], elem_id="chat-history")
        self.message = gr.MultimodalTextbox(file_types=["image", ".pdf"], file_count="single",
                                            placeholder=i18n("chat_placeholder"), elem_id="chat-input",
                                            show_label=False)
        with gr.Row():
            from_arena = gr.Button(i18n("chat_from_arena"), size="sm", elem_id="chat-from-arena")
            self.ocr_button = gr.Button(i18n("chat_ocr"), size="sm", elem_id="chat-ocr",
                                        visible="chat" not in self.config.get(first).tasks)
            retry = gr.Button(i18n("chat_retry"), size="sm", elem_id="chat-retry")
            clear = gr.Button(i18n("chat_clear"), size="sm", elem_id="chat-clear")
        self.samples = SampleGallery(text_samples(), i18n("smp_chat_pick"), "chat-samples")

        self.threads = gr.State({})  # (model, document, page) -> a conversation put aside (core/chat/threads.py)
        self.current = gr.State([first, "1"])  # the model and the page the conversation on screen is about
        self._wire(retry, clear, from_arena, arena_document, arena_page)

    def _wire(self, retry, clear, from_arena, arena_document, arena_page) -> None:
        page_menu = dict(fn=self.page_menu, inputs=[self.chatbot, self.page], outputs=[self.page],
                         api_visibility="private")
        self.model.change(self.switch_model,
                          inputs=[self.model, self.chatbot, self.threads, self.current, self.page],
                          outputs=[self.chatbot, self.threads, self.current, self.capability, self.ocr_button],
                          api_visibility="private").then(**page_menu)
        self.page.change(self.switch_page, inputs=[self.page, self.chatbot, self.threads, self.current],
                         outputs=[self.chatbot, self.threads, self.current], api_visibility="private")
        self.samples.on_pick(self.add_sample, [self.chatbot, self.page], current=self.chatbot)
        limit = dict(concurrency_limit=self.config.app.concurrency_limit, concurrency_id="arena")
        submitted = self.message.submit(self.chat, inputs=[self.message, self.chatbot, self.model, self.page],
                                        outputs=[self.chatbot, self.message], api_name="chat", **limit)
        for event in (
            submitted,
            retry.click(self.retry, inputs=[self.chatbot, self.model, self.page], outputs=[self.chatbot],
                        api_name="chat_retry", **limit),
            self.ocr_button.click(self.read_text, inputs=[self.chatbot, self.model, self.page],
                                  outputs=[self.chatbot], api_name="chat_ocr", **limit),
        ):
            self.status_signal.announce(event)  # a load or a failed load changes what can run
        submitted.then(**page_menu)  # a PDF sent with the message shows its pages
        clear.click(lambda: [], outputs=[self.chatbot], api_name="chat_clear").then(**page_menu)
        from_arena.click(self.carry_over, inputs=[arena_document, arena_page, self.chatbot, self.current],
                         outputs=[self.chatbot, self.page, self.current], api_visibility="private")
        self.status_signal.redraw(self.redraw_models, inputs=[self.model], outputs=[self.model, self.capability])

    # ----- what each model can do -----
    def model_choices_for(self, lang: str) -> list[tuple[str, str]]:
        """Every model, marked: ready chat models first; those that only read text last (they offer OCR)."""
        return labelled_choices(self.pool, lang, ["chat"], unfit="mc_no_chat")

    def redraw_models(self, key: str | None, request: gr.Request = None):
        lang = self.language(request)
        capability = self.describe(key, lang) if key and self.config.find(key) else gr.skip()
        return gr.update(choices=self.model_choices_for(lang)), capability

    def describe(self, key: str, lang: str) -> str:
        lang = lang if lang != "auto" else "en"
        entry = self.config.get(key)
        status = self.pool.availability(key)
        if "chat" in entry.tasks:
            line = text(lang, "chat_can").format(name=entry.name)
        else:
            line = text(lang, "chat_cannot").format(name=entry.name, tasks=", ".join(entry.tasks))
        if not status.ok:
            line += "\n\n" + text(lang, "chat_unavailable").format(message=availability_text(lang, status))
        return line

    def on_model(self, key: str, request: gr.Request = None):
        lang = self.language(request)
        return self.describe(key, lang), gr.update(visible="chat" not in self.config.get(key).tasks)

    def switch_model(self, key: str, chatbot: list[dict] | None, threads: dict | None, current: str | None,
                     page: str | None = "1", request: gr.Request = None):
        """Each model keeps its own conversation about each document page: the one on screen is put aside under
        its model, document and page, and the chosen model's conversation about the document and page on screen
        comes back (a new one starts on that document when it has none)."""
        restored, threads = swap(threads, chatbot, current, key, page)
        capability, ocr_button = self.on_model(key, request)
        return restored, threads, [key, page or "1"], capability, ocr_button

    def switch_page(self, page: str | None, chatbot: list[dict] | None, threads: dict | None, current):
        """Another page of the PDF: the model's conversation about that page, put aside as on a model switch."""
        before = shown_as(current)
        if not before or before[1] == page:
            return gr.skip(), gr.skip(), gr.skip()
        restored, threads = swap(threads, chatbot, current, before[0], page)
        return restored, threads, [before[0], page or "1"]

    # ----- events -----
    def page_menu(self, history: list[dict] | None, page: str | None):
        """The page menu for the conversation's document: its pages for a PDF, hidden for an image."""
        return chat_page_selector(document_of(history or []), page)

    def add_sample(self, sample, path: str, history: list[dict] | None):
        """A bundled sample starts (or joins) the conversation, shown as the browser can show it."""
        history = [*(history or []), {"role": "user", "content": {"path": self._shown(path)}}]
        return history, self.page_menu(history, "1")

    def carry_over(self, document: str | None, page: str | None, history: list[dict] | None, current=None,
                   request: gr.Request = None):
        """Continue the chat on the arena's document (and page). The conversation on screen is now about that
        page, so the page menu's change that follows does not put it aside as another page's."""
        if not document:
            gr.Warning(text(self.language(request), "chat_err_no_arena_document"))
            return history or [], gr.update(), gr.skip()
        page = page if page and page != "all" else "1"
        shown = self._shown(document)
        before = shown_as(current)
        now = [before[0], page] if before else gr.skip()
        return ([*(history or []), {"role": "user", "content": {"path": shown}}], chat_page_selector(document, page),
                now)

    def chat(self, message: dict | None, history: list[dict] | None, model: str, page: str | None = "1",
             request: gr.Request = None):
        """Send a question (and optionally the document) to the model; the reply streams into the chat. A question
        that cannot be sent (the model cannot chat, no document, ...) gets a ⚠ notice in the chat, and the question
        stays in the input box."""
        lang = self.language(request)
        history = list(history or [])
        message = message or {}
        question = (message.get("text") or "").strip()
        for file in message.get("files") or []:
            path = file.get("path") if isinstance(file, dict) else file
            history.append({"role": "user", "content": {"path": self._shown(path)}})
        if not question and message.get("files"):
            yield history, None  # the document alone: wait for the question
            return
        try:
            if not question:
                raise Refusal(text(lang, "chat_err_no_question"))
            page_data, earlier = self._prepare(history, model, page, lang)
        except Refusal as refusal:
            yield self._with_refusal(history, refusal, lang), {"text": question, "files": []}
            return
        for update in self._answer(history, question, model, page_data, earlier, lang):
            yield update, None

    def retry(self, history: list[dict] | None, model: str, page: str | None = "1", request: gr.Request = None):
        """Ask the last question again (after an error, or for another answer from another model). When it cannot
        be asked, the conversation stays as it was, with a notice saying why."""
        lang = self.language(request)
        shown = list(history or [])
        history = list(shown)
        while history and history[-1].get("role") == "assistant":
            history.pop()
        try:
            if not history or not message_text(history[-1]):
                raise Refusal(text(lang, "chat_err_nothing_to_retry"))
            question = message_text(history.pop())
            page_data, earlier = self._prepare(history, model, page, lang)
        except Refusal as refusal:
            yield self._with_refusal(shown, refusal, lang)
            return
        yield from self._answer(history, question, model, page_data, earlier, lang)

    def read_text(self, history: list[dict] | None, model: str, page: str | None = "1", request: gr.Request = None):
        """What a model that cannot chat can do: read the document's text, shown as OCR output, not a reply."""
        lang = self.language(request)
        history = list(history or [])
        try:
            image, encoded = self._page(history, page, lang)
        except Refusal as refusal:
            return self._with_refusal(history, refusal, lang)
        result = self._final(model, PageRequest(image, task="ocr", encoded=encoded))
        title = f"{OCR_TITLE} · {result.name}" if result.status == Status.OK else f"{ERROR_TITLE} {result.name}"
        body = result.text if result.status == Status.OK else result_text(lang, result)
        return [*history, {"role": "assistant", "content": body, "metadata": {"title": title}}]

    # ----- helpers -----
    def _shown(self, path: str | None) -> str | None:
        """The document as the conversation shows it: a PNG copy of what a browser cannot show (TIFF)."""
        return self.copies.shown(path, self.config.app.max_image_pixels)

    def _prepare(self, history: list[dict], model: str, page: str | None, lang: str):
        """The page (its image and encodings) and the earlier turns for a question to `model`; raises Refusal
        when it cannot be asked."""
        entry = self.config.find(model)
        if entry is None:
            raise Refusal(text(lang, "err_no_models"))
        if "chat" not in entry.tasks:
            raise Refusal(text(lang, "chat_cannot").format(name=entry.name, tasks=", ".join(entry.tasks)))
        earlier = question_answer_pairs(history)
        if len(earlier) >= self.config.app.chat_max_turns:
            raise Refusal(text(lang, "chat_sbs_capped").format(turns=self.config.app.chat_max_turns))
        return self._page(history, page, lang), earlier

    def _with_refusal(self, history: list[dict], refusal: Refusal, lang: str) -> list[dict]:
        return with_notice(history, text(lang, "chat_not_sent"), str(refusal))

    def _answer(self, history: list[dict], question: str, model: str, page_data: tuple, earlier, lang: str):
        """Stream the model's reply to `question` about the page (its image, and the encodings every turn about
        it shares): yields the conversation as it grows."""
        image, encoded = page_data
        request = PageRequest(image, task="chat", prompt=question, history=earlier, encoded=encoded)
        history = [*history, {"role": "user", "content": question}]
        yield [*history, {"role": "assistant", "content": "…"}]
        last_yield, answer = time.perf_counter(), ""
        for _, event in self.pool.run_many([model], request):
            if isinstance(event, Progress):
                answer = event.text or answer
                if time.perf_counter() - last_yield >= UI_UPDATE_INTERVAL_S:  # batch tokens per UI update
                    last_yield = time.perf_counter()
                    yield [*history, {"role": "assistant", "content": answer or "…"}]
            elif event.status == Status.OK:
                yield [*history, {"role": "assistant", "content": event.text}]
            else:
                note = {"title": f"{ERROR_TITLE} {state_label(lang, event.status.value, event.code)}"}
                yield [*history, {"role": "assistant", "content": result_text(lang, event) or event.text,
                                  "metadata": note}]

    def _page(self, history: list[dict], page: str | None, lang: str):
        """The conversation's page as (image, encodings), decoded once for all its turns; raises Refusal."""
        document = document_of(history)
        if not document:
            raise Refusal(text(lang, "chat_err_no_document"))
        try:
            return self.pages.page(self.copies.original(document), page)
        except DocumentError as exc:  # a file that cannot be read: said in the chat, not over it
            raise Refusal(str(exc)) from None

    def _final(self, model: str, request: PageRequest) -> ModelResult:
        return next(event for _, event in self.pool.run_many([model], request) if isinstance(event, ModelResult))
