"""`vllm.LLM` inside a worker process, for a single-user GPU box: no server, no port.

The pool runs this engine in a worker process (vLLM does not give memory back when deleted; ending the
process does), on the interpreter of the arena's vLLM environment when there is one. vLLM is imported in
`load`, so the module itself imports anywhere. `LLM.chat` returns the whole text at once: the column fills
in one step, and says so.
"""
from __future__ import annotations

import time
from typing import Iterator

from backends.runtime import memory
from backends.contracts.engine import Engine
from backends.contracts.requests import EngineOutput, PageRequest
from backends.contracts.schema import ModelEntry
from backends.engines.openai.engine import request_image_url
from backends.engines.vllm.args import (VllmOptions, engine_args, engine_environment, request_messages, sampling_params_kwargs)


class VllmInProcessEngine(Engine):
    def __init__(self, entry: ModelEntry, options: VllmOptions):
        super().__init__(entry.key, options)
        self.entry = entry
        self.llm = None

    def load(self) -> None:
        import os

        # This is the worker's own process: its environment is vLLM's to read (the KV cache space on a CPU).
        on_gpu = memory.cuda_total_mb() is not None
        os.environ.update(engine_environment(self.options, on_gpu, memory.memory_budget_mb(None)))
        try:
            from vllm import LLM
        except ImportError as exc:
            import sys

            raise RuntimeError(f"vLLM cannot be imported by {sys.executable} ({exc}). "
                               "Install it with requirements-gpu.txt (README: 'Run on a GPU box').") from None
        self.llm = LLM(**engine_args(self.entry, self.options, on_cpu=not on_gpu))

    def stream(self, request: PageRequest) -> Iterator[str | EngineOutput]:
        from vllm import SamplingParams

        assert self.llm is not None, "stream() before load()"
        prompt = request.prompt or self.entry.prompts.get(request.task) or "Read all the text in this image."
        messages = request_messages(self.options, prompt, request_image_url(request), request.history)
        params = SamplingParams(**sampling_params_kwargs(self.options))
        started = time.perf_counter()
        result = self.llm.chat(messages, params, use_tqdm=False)[0]
        elapsed = time.perf_counter() - started
        completion = result.outputs[0]
        cut = completion.finish_reason == "length"
        details = {"engine": "vllm.LLM in a worker process",
                   "streaming": f"none: LLM.chat returned the whole text after {elapsed:.2f} s"}
        if cut:
            details["cut"] = f"reached max_tokens ({self.options.max_tokens})"
        if completion.text:
            yield completion.text
        readings = {}
        card = memory.cuda_total_mb()
        if card:
            readings["vLLM reservation (gpu_memory_utilization × card)"] = round(
                self.options.gpu_memory_utilization * card, 1)
        processes = _process_tree()
        nvml = memory.nvml_processes_mb(processes)
        if nvml is not None:
            readings["NVML used by worker processes"] = round(nvml, 1)
        readings["RSS (worker and vLLM engine processes)"] = round(memory.processes_rss_mb(processes), 1)
        yield EngineOutput(text=completion.text, output_tokens=len(completion.token_ids), cut=cut,
                           extra={"details": details, "memory_mb": readings,
                                  "input_tokens": len(result.prompt_token_ids or [])})

    def unload(self) -> None:
        self.llm = None  # the worker process ends right after; that is what frees the card

    def memory_mb(self) -> float | None:
        card = memory.cuda_total_mb()
        return self.options.gpu_memory_utilization * card if card else None


def _process_tree() -> list[int]:
    """This worker and its children: vLLM's engine core runs in a child process."""
    import psutil

    me = psutil.Process()
    return [me.pid, *(child.pid for child in me.children(recursive=True))]
