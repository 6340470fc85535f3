"""The embedding backends: ONNX (fp32 and int8) against sentence-transformers on torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from qa.config import Settings
from qa.embeddings import SentenceEmbedder, SplitEmbedder, default_model_path, get_embedder, native_bf16
from qa.onnx_embedder import OnnxEmbedder

TEXTS = [
    "Chancellor Ingrid Falk met Prime Minister Oskar Brandt in Marlow.",
    "Grower Lena Moss said the apple harvest would be late this year after a cold spring.",
    "Southmark is willing to align the Green Corridor Initiative with its national rail programme, he said.",
    "Short.",
]


def test_onnx_vectors_match_torch(tmp_path):
    reference = np.array(SentenceEmbedder().embed_documents(TEXTS))
    fp32 = np.array(OnnxEmbedder(default_model_path(), quantize=False, cache=tmp_path).embed_documents(TEXTS))
    int8 = np.array(OnnxEmbedder(default_model_path(), quantize=True, cache=tmp_path).embed_documents(TEXTS))
    assert fp32.shape == int8.shape == reference.shape == (4, 384)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    assert (fp32 * reference).sum(axis=1).min() > 0.9999
    assert (int8 * reference).sum(axis=1).min() > 0.97
    # A query embeds as the same text in a batch does: exactly in fp32; in int8 nearly, since dynamic
    # quantization scales activations per batch.
    single = OnnxEmbedder(default_model_path(), quantize=False, cache=tmp_path).embed_query(TEXTS[1])
    assert float(np.dot(single, fp32[1])) > 0.9999
    single = OnnxEmbedder(default_model_path(), quantize=True, cache=tmp_path).embed_query(TEXTS[1])
    assert float(np.dot(single, int8[1])) > 0.98


def test_export_happens_once_and_is_reused(tmp_path):
    OnnxEmbedder(default_model_path(), quantize=True, cache=tmp_path)
    files = sorted(tmp_path.rglob("*.onnx"))
    assert [f.name for f in files] == ["model.onnx", "model_int8.onnx"]
    stamps = [f.stat().st_mtime_ns for f in files]
    OnnxEmbedder(default_model_path(), quantize=True, cache=tmp_path)
    assert [f.stat().st_mtime_ns for f in files] == stamps
    assert not list(tmp_path.rglob("*.partial"))


def test_the_default_backend_answers_with_onnx_and_ingests_with_the_fastest():
    embedder = get_embedder("")
    assert Settings().embed_backend == "auto"
    if not native_bf16():
        assert isinstance(embedder, OnnxEmbedder) and embedder.model_path == default_model_path()
        return
    assert isinstance(embedder, SplitEmbedder) and isinstance(embedder.query, OnnxEmbedder)
    documents = embedder.documents
    assert isinstance(documents, SentenceEmbedder) and documents.bf16
    # bf16 products keep the vectors where fp32 puts them: a query matches its own text as a document.
    stored = np.array(embedder.embed_documents(TEXTS))
    asked = np.array([embedder.embed_query(text) for text in TEXTS])
    assert np.allclose(np.linalg.norm(stored, axis=1), 1.0, atol=1e-3)
    assert (stored * asked).sum(axis=1).min() > 0.999


def test_answering_never_imports_torch():
    code = (
        "import sys; from qa.embeddings import get_embedder; "
        "get_embedder('').embed_query('Who met in Marlow?'); print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "False"


def test_unknown_backend_is_named_in_the_error():
    with pytest.raises(ValueError, match="QA_EMBED_BACKEND.*'gpu'"):
        get_embedder("", "gpu")
