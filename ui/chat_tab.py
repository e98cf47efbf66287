"""The Chat tab: a multi-turn conversation about a document with one model at a time, through the same pool
(a model warm from the arena is not reloaded).

The document image lives in the chat history itself, as the first file the user sent, so the history is the
whole state: it round-trips through the API, and switching models keeps each one's conversation apart only
when the user clears it. Models that cannot chat (OCR engines, GOT) say so and offer to read the text instead,
clearly labelled as OCR output: the tab never pretends they answered.
"""
from __future__ import annotations

import time

import gradio as gr

from backends.contracts.requests import PageRequest
from backends.contracts.results import Status
from ui.document_picker import read_page
from backends.contracts.results import Progress, ModelResult
from ui.i18n import text
from ui.tab import UI_UPDATE_INTERVAL_S, Tab

ERROR_TITLE = "⚠"
OCR_TITLE = "OCR"


def _parts(message: dict) -> list[dict]:
    """A chat message's content as parts, whichever form Gradio or an API client used."""
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, dict):
        if "path" in content:
            return [{"type": "file", "file": content}]
        return [content]
    return list(content or [])


def _message_text(message: dict) -> str:
    return "".join(p.get("text", "") for p in _parts(message) if p.get("type") == "text")


def _message_file(message: dict) -> str | None:
    for part in _parts(message):
        if part.get("type") == "file":
            file = part.get("file") or {}
            return file.get("path") if isinstance(file, dict) else file
    return None


def document_of(history: list[dict]) -> str | None:
    """The conversation's document: the last file a user sent."""
    files = [_message_file(m) for m in history if m.get("role") == "user"]
    return next((f for f in reversed(files) if f), None)


def question_answer_pairs(history: list[dict]) -> tuple[tuple[str, str], ...]:
    """The earlier turns for the model: each user question with the answer that followed it. Errors and OCR
    outputs shown in the chat are not the model's answers, so those turns are left out."""
    pairs, question = [], None
    for message in history:
        title = (message.get("metadata") or {}).get("title")
        if message.get("role") == "user":
            asked = _message_text(message)
            question = asked or question
        elif message.get("role") == "assistant" and question is not None:
            if not title:
                pairs.append((question, _message_text(message)))
            question = None
    return tuple(pairs)


class ChatTab(Tab):
    def chat_models(self) -> list[str]:
        return [m.key for m in self.config.models if "chat" in m.tasks]

    def build(self, arena_document: gr.File, arena_page: gr.Dropdown) -> None:
        i18n = self.i18n
        chatty = self.chat_models()
        first = chatty[0] if chatty else self.config.models[0].key
        with gr.Row():
            self.model = gr.Dropdown(choices=[(m.name, m.key) for m in self.config.models], value=first,
                                     label=i18n("chat_model"), elem_id="chat-model", scale=3)
            self.page = gr.Dropdown(choices=["1"], value="1", allow_custom_value=True, label=i18n("chat_page"),
                                    elem_id="chat-page", scale=1)
        self.capability = gr.Markdown(self.describe(first, self.forced_language), elem_id="chat-capability")
        self.chatbot = gr.Chatbot(label=i18n("chat_history"), height=520, buttons=["copy"], elem_id="chat-history")
        self.message = gr.MultimodalTextbox(file_types=["image", ".pdf"], file_count="single",
                                            placeholder=i18n("chat_placeholder"), elem_id="chat-input",
                                            show_label=False)
        with gr.Row():
            from_arena = gr.Button(i18n("chat_from_arena"), size="sm", elem_id="chat-from-arena")
            self.ocr_button = gr.Button(i18n("chat_ocr"), size="sm", elem_id="chat-ocr",
                                        visible=first not in chatty)
            retry = gr.Button(i18n("chat_retry"), size="sm", elem_id="chat-retry")
            clear = gr.Button(i18n("chat_clear"), size="sm", elem_id="chat-clear")

        self.threads = gr.State({})  # model key -> its own conversation, kept while another model is shown
        self.current = gr.State(first)
        self.model.change(self.switch_model, inputs=[self.model, self.chatbot, self.threads, self.current],
                          outputs=[self.chatbot, self.threads, self.current, self.capability, self.ocr_button],
                          api_visibility="private")
        limit = dict(concurrency_limit=self.config.app.concurrency_limit, concurrency_id="arena")
        self.message.submit(self.chat, inputs=[self.message, self.chatbot, self.model, self.page],
                            outputs=[self.chatbot, self.message], api_name="chat", **limit)
        retry.click(self.retry, inputs=[self.chatbot, self.model, self.page], outputs=[self.chatbot],
                    api_name="chat_retry", **limit)
        self.ocr_button.click(self.read_text, inputs=[self.chatbot, self.model, self.page], outputs=[self.chatbot],
                              api_name="chat_ocr", **limit)
        clear.click(lambda: [], outputs=[self.chatbot], api_name="chat_clear")
        from_arena.click(self.carry_over, inputs=[arena_document, arena_page, self.chatbot],
                         outputs=[self.chatbot, self.page], api_visibility="private")

    # ----- what each model can do -----
    def describe(self, key: str, lang: str) -> str:
        lang = lang if lang != "auto" else "en"
        entry = self.config.get(key)
        status = self.pool.availability(key)
        if "chat" in entry.tasks:
            line = text(lang, "chat_can").format(name=entry.name)
        else:
            line = text(lang, "chat_cannot").format(name=entry.name, tasks=", ".join(entry.tasks))
        if not status.ok:
            line += "\n\n" + text(lang, "chat_unavailable").format(message=status.message)
        return line

    def on_model(self, key: str, request: gr.Request = None):
        lang = self.language(request)
        return self.describe(key, lang), gr.update(visible="chat" not in self.config.get(key).tasks)

    def switch_model(self, key: str, chatbot: list[dict] | None, threads: dict | None, current: str | None,
                     request: gr.Request = None):
        """Each model keeps its own conversation: the one on screen stays with the model it belongs to, and the
        chosen model's own comes back (a new one starts on the same document)."""
        threads = dict(threads or {})
        if current:
            threads[current] = list(chatbot or [])
        restored = threads.get(key)
        if restored is None:
            document = document_of(chatbot or [])
            restored = [{"role": "user", "content": {"path": document}}] if document else []
        capability, ocr_button = self.on_model(key, request)
        return restored, threads, key, capability, ocr_button

    # ----- events -----
    def carry_over(self, document: str | None, page: str | None, history: list[dict] | None,
                   request: gr.Request = None):
        """Start the chat on the arena's document (and page)."""
        if not document:
            gr.Warning(text(self.language(request), "chat_err_no_arena_document"))
            return history or [], gr.update()
        page = page if page and page != "all" else "1"
        return [*(history or []), {"role": "user", "content": {"path": document}}], gr.update(
            choices=[page], value=page)

    def chat(self, message: dict | None, history: list[dict] | None, model: str, page: str | None = "1",
             request: gr.Request = None):
        """Send a question (and optionally the document) to the model; the reply streams into the chat."""
        lang = self.language(request)
        history = list(history or [])
        message = message or {}
        question = (message.get("text") or "").strip()
        for file in message.get("files") or []:
            path = file.get("path") if isinstance(file, dict) else file
            history.append({"role": "user", "content": {"path": path}})
        if not question:
            if message.get("files"):
                yield history, None  # the document alone: wait for the question
                return
            raise gr.Error(text(lang, "chat_err_no_question"))
        yield from self._answer(history, question, model, page, lang)

    def retry(self, history: list[dict] | None, model: str, page: str | None = "1", request: gr.Request = None):
        """Ask the last question again (after an error, or for another answer from another model)."""
        lang = self.language(request)
        history = list(history or [])
        while history and history[-1].get("role") == "assistant":
            history.pop()
        if not history or not _message_text(history[-1]):
            raise gr.Error(text(lang, "chat_err_nothing_to_retry"))
        question = _message_text(history.pop())
        for update, _ in self._answer(history, question, model, page, lang):
            yield update

    def read_text(self, history: list[dict] | None, model: str, page: str | None = "1", request: gr.Request = None):
        """What a model that cannot chat can do: read the document's text, shown as OCR output, not a reply."""
        lang = self.language(request)
        history = list(history or [])
        image = self._image(history, page, lang)
        result = self._final(model, PageRequest(image, task="ocr"))
        title = f"{OCR_TITLE} · {result.name}" if result.status == Status.OK else f"{ERROR_TITLE} {result.name}"
        body = result.text if result.status == Status.OK else result.message
        return [*history, {"role": "assistant", "content": body, "metadata": {"title": title}}]

    # ----- helpers -----
    def _answer(self, history: list[dict], question: str, model: str, page: str | None, lang: str):
        entry = self.config.find(model)
        if entry is None:
            raise gr.Error(text(lang, "err_no_models"))
        if "chat" not in entry.tasks:
            raise gr.Error(text(lang, "chat_cannot").format(name=entry.name, tasks=", ".join(entry.tasks)))
        earlier = question_answer_pairs(history)
        if len(earlier) >= self.config.app.chat_max_turns:
            raise gr.Error(text(lang, "chat_sbs_capped").format(turns=self.config.app.chat_max_turns))
        image = self._image(history, page, lang)
        request = PageRequest(image, task="chat", prompt=question, history=earlier)
        history = [*history, {"role": "user", "content": question}]
        yield [*history, {"role": "assistant", "content": "…"}], None
        last_yield, answer = time.perf_counter(), ""
        for _, event in self.pool.run_many([model], request):
            if isinstance(event, Progress):
                answer = event.text or answer
                if time.perf_counter() - last_yield >= UI_UPDATE_INTERVAL_S:  # batch tokens per UI update
                    last_yield = time.perf_counter()
                    yield [*history, {"role": "assistant", "content": answer or "…"}], None
            elif event.status == Status.OK:
                yield [*history, {"role": "assistant", "content": event.text}], None
            else:
                note = {"title": f"{ERROR_TITLE} {text(lang, f'st_{event.status.value}')}"}
                yield [*history, {"role": "assistant", "content": event.message or event.text, "metadata": note}], None

    def _image(self, history: list[dict], page: str | None, lang: str):
        document = document_of(history)
        if not document:
            raise gr.Error(text(lang, "chat_err_no_document"))
        return read_page(document, page, self.config.app)

    def _final(self, model: str, request: PageRequest) -> ModelResult:
        return next(event for _, event in self.pool.run_many([model], request) if isinstance(event, ModelResult))

