"""Run a model in a worker process of its own, optionally on another Python interpreter.

`WorkerEngine` is an `Engine` whose work happens in a child process: a crash there (segfault, OOM kill)
costs one request, not the app, and unloading frees everything the model took, CUDA context included. A
model whose pins conflict with the app's environment (remote code pinned to an old transformers) runs on
its own venv's interpreter (`environment` in config.yaml, built by `python launch.py env KEY`).

The child is `python -m backends.runtime.worker.child FD`, started in the project folder with PYTHONPATH set to it. It
builds the ordinary in-process engine through `backends.registry.create_local_engine`, so it imports only what
that engine imports (plus pydantic and PyYAML for the config types). It keeps working on Python 3.10+.

Protocol. One socketpair; the child gets its end as file descriptor FD. Every message is a frame of
`multiprocessing.connection.Connection.send_bytes` (a length prefix, then the bytes). A message is UTF-8
JSON with an "op" (parent to child) or a "type" (child to parent); only an image travels as raw bytes, in
the frame right after its "run" message. Nothing is pickled. The child's stdout and stderr share one pipe
that the parent copies to its own stderr, so library prints never touch the protocol, and the last lines
go into the message when the child dies.

    parent -> child                                    child -> parent
    {"op": "load", "entry": ModelEntry as JSON}        {"type": "loaded", "pid", "python", "version",
                                                         "memory_mb": engine.memory_mb() or null}
    {"op": "run", "task", "prompt", "history", "image": IMAGE}    {"type": "delta", "text"}   (any number)
      then one frame: the image's bytes                then one of:
                                                       {"type": "output", "text", "boxes": [[x0, y0, x1,
                                                         y1, text, confidence], ...], "output_tokens",
                                                         "cut", "extra", "memory_mb"}
                                                       {"type": "done"}    (the engine ended without output)
    {"op": "exit"}   (the child unloads and exits)
    either request can be answered by {"type": "error", "error_type", "message", "traceback"}

IMAGE is {"format": "raw", "mode", "size": [w, h], "dpi": [x, y] | null}: the pixels as `tobytes()`,
exact for every mode and ~100x cheaper than PNG on a page; a palette image goes as {"format": "png", ...}.

Failures. An exception in the child's engine is raised in the app as an exception of the same type name
(a subclass of `WorkerError`, and of the builtin of that name where there is one) with the child's
message; the worker serves the next request. A child that dies raises `WorkerCrashed` naming the signal
or exit code; `cancel()` (from another thread) kills the child and the blocked call raises
`WorkerCancelled`. After either, `healthy()` is False and the pool starts a fresh worker. POSIX only.

Modules: `protocol` (the wire format and error types, both sides), `parent` (WorkerEngine, in the app) and
`child` (the worker process's loop).
"""
