"""A LangChain chat model over llama-cpp-python in this process (`llamacpp:/path/model.gguf`).

Small on purpose: the model's own chat template (read from the GGUF) formats the messages, tokens
stream as llama.cpp makes them, and generation stops at `timeout` seconds, since a C call cannot
be interrupted from outside.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

ROLES = {"system": "system", "human": "user", "ai": "assistant"}


@lru_cache(maxsize=2)
def _load(model_path: str, context_tokens: int):
    try:
        from llama_cpp import Llama
    except ImportError:
        from qa.llm import BackendError

        raise BackendError("The llamacpp backend needs llama-cpp-python: pip install -e '.[llamacpp]'.") from None
    return Llama(model_path=model_path, n_ctx=context_tokens, n_threads=None, verbose=False), threading.Lock()


class LlamaCppChat(BaseChatModel):
    model_path: str
    context_tokens: int = 4096
    max_tokens: int = 512
    temperature: float = 0.1
    timeout: float = 60.0

    @property
    def _llm_type(self) -> str:
        return "llamacpp-in-process"

    def _messages(self, messages: list[BaseMessage]) -> list[dict]:
        return [{"role": ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        model, lock = _load(self.model_path, self.context_tokens)
        deadline = time.monotonic() + self.timeout
        # One generation at a time per model: llama.cpp's context is not shared between threads.
        with lock:
            for part in model.create_chat_completion(
                messages=self._messages(messages),
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                stop=stop,
                stream=True,
            ):
                text = part["choices"][0].get("delta", {}).get("content") or ""
                if text:
                    if run_manager:
                        run_manager.on_llm_new_token(text)
                    yield ChatGenerationChunk(message=AIMessageChunk(content=text))
                if time.monotonic() > deadline:
                    from qa.llm import BackendError

                    raise BackendError(f"llama.cpp took longer than {self.timeout:g} s")

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(str(chunk.message.content) for chunk in self._stream(messages, stop, run_manager))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])
