"""Strings: messages (see its owner module in ui/messages.py).

`msg_<code>`: the summary of each backends.contracts.results.MessageCode, a short phrase starting in lower case:
it labels a model in a selector ("✗ Qwen3-VL-4B — weights not downloaded") and, capitalised, opens a message
before the engine's English detail.
"""

EN: dict[str, str] = {
    "msg_engine_missing": "engine not installed",
    "msg_language_data_missing": "language data missing",
    "msg_env_missing": "environment not created",
    "msg_env_stale": "environment out of date",
    "msg_weights_unset": "no weights in config.yaml",
    "msg_weights_missing": "weights not downloaded",
    "msg_server_missing": "server command not found",
    "msg_no_endpoint": "no server address",
    "msg_unreachable": "server not reachable",
    "msg_api_key_missing": "API key not set",
    "msg_unknown_model": "no such model in the config",
    "msg_status_check_failed": "status check failed",
    "msg_task_unsupported": "does not support this task",
    "msg_over_budget": "over the memory budget",
    "msg_selection_refused": "cannot run beside the other selected models",
    "msg_load_failed": "failed to load",
    "msg_engine_error": "engine error",
    "msg_timeout": "no result in time",
    "msg_not_ready": "not ready",  # a status without a known code
    "msg_state_unsupported": "not supported",  # a column's state when the model lacks the task
    "msg_failures": "Failed:",  # heads the list of failed models under a run's status
}

RU: dict[str, str] = {
    "msg_engine_missing": "движок не установлен",
    "msg_language_data_missing": "нет языковых данных",
    "msg_env_missing": "окружение не создано",
    "msg_env_stale": "окружение устарело",
    "msg_weights_unset": "веса не указаны в config.yaml",
    "msg_weights_missing": "веса не скачаны",
    "msg_server_missing": "команда сервера не найдена",
    "msg_no_endpoint": "не задан адрес сервера",
    "msg_unreachable": "сервер недоступен",
    "msg_api_key_missing": "не задан ключ API",
    "msg_unknown_model": "такой модели нет в конфигурации",
    "msg_status_check_failed": "проверка состояния не удалась",
    "msg_task_unsupported": "не поддерживает эту задачу",
    "msg_over_budget": "не помещается в бюджет памяти",
    "msg_selection_refused": "не может работать вместе с другими выбранными моделями",
    "msg_load_failed": "не удалось загрузить",
    "msg_engine_error": "ошибка движка",
    "msg_timeout": "нет результата в срок",
    "msg_not_ready": "не готова",
    "msg_state_unsupported": "не поддерживает эту задачу",
    "msg_failures": "Не удалось:",
}
