"""The words for the memory figures the pool takes itself (backends/runtime/memory.py names them as stable keys),
in English and Russian: the UI's string tables (ui/strings/memory.py) and the benchmark report both read them.

A model's column shows its own footprint first, then the app's RSS, which every in-process model shares.
The figures engines report about their own processes keep their labels in ui/strings/details.py.
"""

EN: dict[str, str] = {
    "mem_app_shared": "RSS (app process, shared)",
    "mem_load_delta": "RSS added by loading (this model)",
    "mem_load_delta_overlapped": "RSS added by loading (≈: other models were busy)",
    "mem_cuda_load_delta": "CUDA allocated by loading (this model)",
}

RU: dict[str, str] = {
    "mem_app_shared": "RSS (процесс приложения, общий)",
    "mem_load_delta": "RSS, добавленный загрузкой (эта модель)",
    "mem_load_delta_overlapped": "RSS от загрузки (≈: работали и другие модели)",
    "mem_cuda_load_delta": "CUDA, занятая загрузкой (эта модель)",
}
