"""An OpenAI-compatible endpoint as an engine: vllm serve, SGLang, LMDeploy, transformers serve, hosted APIs.

Streams `/v1/chat/completions` with the image as a data URL. Every way a remote server can fail (down,
wrong key, unknown model, 5xx, a stream cut mid-way, an empty reply) ends as a message that says which,
and a cut stream keeps the text that arrived.
"""
from __future__ import annotations

import base64
import io
import os
from typing import Any, Iterator, Literal

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from backends.contracts.results import Availability, MessageCode
from backends.contracts.engine import Engine
from backends.contracts.requests import EngineOutput, PageRequest, conversation
from backends.engines.openai.connection import ConnectFailed, EndpointConnections, ReadTimedOut, StreamBroken
from backends.engines.openai.streaming import EndpointError, Reply, repeating_tail, sse_chunks


class RequestShaping(BaseModel):
    """How a model wants its request: shared by the OpenAI-compatible and the vLLM engines."""

    model_config = ConfigDict(extra="forbid")

    prompt_prefix: str = ""  # e.g. dots.ocr's "<|img|><|imgpad|><|endofimg|>"
    temperature: float = Field(default=0.0, ge=0)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int = Field(default=2048, ge=1)
    extra_body: dict[str, Any] = {}  # merged into the request (vLLM: vllm_xargs, skip_special_tokens…)
    # Stop reading when the reply's last N characters are one short unit repeated (dots.ocr can loop on "....."
    # runs until max_tokens). 0 = off: real tables can repeat a cell for a long way.
    repetition_guard_chars: int = Field(default=0, ge=0)


class OpenAIOptions(RequestShaping):
    model: str | None = None  # the served model name; defaults to the entry's `weights`
    api_key_env: str | None = None  # the NAME of an environment variable holding the key, never the key
    image_format: Literal["png", "jpeg"] = "png"
    connect_timeout_s: float = Field(default=5.0, gt=0)
    read_timeout_s: float = Field(default=120.0, gt=0)  # the longest silence between two chunks
    connect_retries: int = Field(default=2, ge=0)


def image_data_url(image, fmt: str = "png") -> str:
    buffer = io.BytesIO()
    image = image.convert("RGB")
    # PNG's fastest compression: on a scanned A4 page it encodes ~2.7× faster than the default level, for a
    # file of about the same size (benchmarks/scripts/bench_openai_overhead.py --image PAGE).
    settings = {"quality": 95} if fmt == "jpeg" else {"compress_level": 1}
    image.save(buffer, format="JPEG" if fmt == "jpeg" else "PNG", **settings)
    return f"data:image/{fmt};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def request_image_url(request: PageRequest, fmt: str = "png") -> str:
    """The request's image as a data URL, encoded once however many models of a run send it."""
    if fmt not in request.encoded:
        request.encoded[fmt] = image_data_url(request.image, fmt)
    return request.encoded[fmt]


def chat_messages(image_url: str, text: str, history: tuple[tuple[str, str], ...] = (),
                  prefix: str = "") -> list[dict[str, Any]]:
    """The chat: the first user turn holds the image first, then its text (the order the OCR models' recipes
    use) after `prefix`; earlier answers and later questions follow as plain text."""
    turns = conversation(history, text)
    messages: list[dict[str, Any]] = [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": image_url}},
        {"type": "text", "text": prefix + turns[0][1]},
    ]}]
    return messages + [{"role": role, "content": content} for role, content in turns[1:]]


def build_payload(options: OpenAIOptions, model: str, prompt: str, image: Image.Image | str,
                  history: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """The chat-completions request: the image (or its data URL) with the first (prefixed) question, then any
    earlier turns of the chat and this prompt."""
    url = image if isinstance(image, str) else image_data_url(image, options.image_format)
    payload: dict[str, Any] = {
        "model": model,
        "messages": chat_messages(url, prompt, history, options.prompt_prefix),
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": options.temperature,
        "max_tokens": options.max_tokens,
    }
    if options.top_p is not None:
        payload["top_p"] = options.top_p
    payload.update(options.extra_body)
    return payload


def reachability(endpoint: str, timeout_s: float = 1.0) -> Availability:
    """Is anything listening at the endpoint? One TCP connect: a model list should not promise a server that
    is down. (Whether it serves the right model is for the request to find out.)"""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(endpoint)
    if url.scheme not in ("http", "https") or not url.hostname:
        return Availability(False, f"the endpoint '{endpoint}' is not an http(s) URL.",
                            code=MessageCode.NO_ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=timeout_s).close()
    except OSError as exc:
        return Availability(False, f"no server is reachable at {endpoint} ({exc.strerror or type(exc).__name__}).",
                            "Start it, or fix `endpoint` in config.yaml.", code=MessageCode.UNREACHABLE)
    return Availability(True)


def describe_http_error(status: int, body: str, model: str, key_env: str | None, image_size: tuple[int, int]) -> str:
    snippet = " ".join(body.split())[:300]
    if status == 401 or status == 403:
        where = f"the key in ${key_env}" if key_env else "no API key is configured (options.api_key_env)"
        return f"the server refused the request ({status}): check the API key; {where}. {snippet}".strip()
    # vLLM answers 404 for an unknown model; others 400 with the name (or the word "model") in the message.
    if status == 404 or (status == 400 and ("model" in snippet.lower() or model.lower() in snippet.lower())):
        return f"the server does not serve a model named '{model}' ({status}): {snippet}"
    if status >= 500:
        # Servers often hide the cause (a plain "Internal Server Error"); the image is the usual suspect.
        width, height = image_size
        return (f"server error {status} on this {width}×{height} px image: {snippet or 'no details'} "
                "(the server's log has the cause)")
    return f"the server rejected the request ({status}): {snippet}"


class OpenAIEngine(Engine):
    Options = OpenAIOptions
    requires = ("urllib3",)
    parallel_requests = True  # the server batches concurrent requests

    def __init__(self, key: str, options: OpenAIOptions, *, endpoint: str, model: str,
                 prompts: dict[str, str] | None = None):
        super().__init__(key, options)
        self.endpoint = endpoint.rstrip("/")
        self.model = model
        self.prompts = prompts or {}
        self._connections: EndpointConnections | None = None

    @classmethod
    def from_entry(cls, entry, options: OpenAIOptions, *, memory_budget_mb: float | None = None) -> "OpenAIEngine":
        return cls(entry.key, options, endpoint=entry.endpoint or "", model=options.model or entry.weights or "",
                   prompts=entry.prompts)

    @classmethod
    def availability(cls, entry) -> Availability:
        if not entry.endpoint:
            return Availability(False, "no `endpoint` set for this model in config.yaml.",
                                code=MessageCode.NO_ENDPOINT)
        key_env = cls.options_for(entry).api_key_env
        if key_env and not os.environ.get(key_env):
            return Availability(False, f"the API key variable ${key_env} is not set.",
                                f"Run: export {key_env}=… before starting the arena.",
                                code=MessageCode.API_KEY_MISSING)
        return reachability(entry.endpoint)

    def load(self) -> None:
        headers = {}
        if self.options.api_key_env and os.environ.get(self.options.api_key_env):
            headers["Authorization"] = f"Bearer {os.environ[self.options.api_key_env]}"
        self._connections = EndpointConnections(self.endpoint, headers, self.options.connect_timeout_s,
                                                self.options.read_timeout_s, self.options.connect_retries)

    def _loop_in(self, text: str) -> tuple[int, int] | None:
        return repeating_tail(text, self.options.repetition_guard_chars)

    def unload(self) -> None:
        if self._connections is not None:
            self._connections.close()
            self._connections = None

    def stream(self, request: PageRequest) -> Iterator[str | EngineOutput]:
        prompt = request.prompt or self.prompts.get(request.task) or "Read all the text in this image."
        payload = build_payload(self.options, self.model, prompt, request_image_url(request, self.options.image_format),
                                request.history)
        reply = Reply()
        yield from self._read(payload, request.image.size, reply)
        yield self._final_output(reply)

    def _read(self, payload: dict[str, Any], image_size: tuple[int, int], reply: Reply) -> Iterator[str]:
        """Send the request and yield the reply's text as it comes. A stream cut after some text ends with
        `reply.cut_reason` set; any other failure raises EndpointError."""
        try:
            with self._connections.post("/chat/completions", payload) as response:
                if response.status >= 400:
                    raise EndpointError(describe_http_error(response.status, response.text(), self.model,
                                                            self.options.api_key_env, image_size))
                yield from self._receive(response, reply)
        except ConnectFailed as exc:
            raise EndpointError(f"cannot connect to {self.endpoint}: the server is down or unreachable ({exc})") from None
        except ReadTimedOut:
            if not reply.text:
                raise EndpointError(
                    f"{self.endpoint} did not answer within {self.options.read_timeout_s:g} s") from None
            reply.cut_reason = f"the server went silent for {self.options.read_timeout_s:g} s mid-stream"
        except StreamBroken as exc:
            if not reply.text:
                raise EndpointError(f"the connection to {self.endpoint} broke before any text ({exc})") from None
            reply.cut_reason = f"the stream was cut mid-way ({exc})"

    def _receive(self, response, reply: Reply) -> Iterator[str]:
        for chunk in sse_chunks(response.lines()):
            yield from reply.add(chunk)
            loop = self._loop_in(reply.text)
            if loop is not None:
                # Leaving the stream drops the connection: vLLM aborts a request whose client left.
                reply.trim_loop(*loop)
                return
        response.finished = True  # read to its last event: the connection can serve the next request

    def _final_output(self, reply: Reply) -> EngineOutput:
        """The closing EngineOutput: the whole text, its token count, and why it was cut, if it was."""
        if reply.cut_reason is None and reply.finish is None:
            if not reply.text:
                raise EndpointError(f"{self.endpoint} sent an empty reply")
            reply.cut_reason = "the stream ended without a finish reason"
        if reply.finish == "length":
            reply.cut_reason = f"reached max_tokens ({self.options.max_tokens})"
        details = {"endpoint": self.endpoint, "served model": self.model}
        output_tokens = (reply.usage or {}).get("completion_tokens")
        if output_tokens is None:
            # Servers send about one token per chunk; the column says the figure is a count of chunks.
            details["tokens"] = f"no usage from the server: {reply.chunks} stream chunks counted instead"
            output_tokens = reply.chunks
        if reply.cut_reason:
            details["cut"] = reply.cut_reason
        return EngineOutput(text=reply.text, output_tokens=output_tokens, cut=reply.cut_reason is not None,
                            extra={"details": details, "first_token_s": reply.first_token_s,
                                   "input_tokens": (reply.usage or {}).get("prompt_tokens")})
