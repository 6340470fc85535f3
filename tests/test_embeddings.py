"""The embedding backends: ONNX (fp32 and int8) against sentence-transformers on torch."""

from __future__ import annotations

import numpy as np

from qa.config import Settings
from qa.embeddings import SentenceEmbedder, default_model_path, get_embedder
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


def test_the_default_backend_is_onnx_fp32():
    embedder = get_embedder("")
    assert type(embedder).__name__ == "OnnxEmbedder" and embedder.model_path == default_model_path()
    assert Settings().embed_backend == "onnx"
