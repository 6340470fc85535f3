"""The embedding backends: ONNX (fp32 and int8) against sentence-transformers on torch."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest

from qa.config import Settings
from qa.embeddings import SentenceEmbedder, default_model_path, get_embedder
from qa.onnx_embedder import OnnxEmbedder, token_batches
from qa.openvino_embedder import PAD_TO, OpenVinoEmbedder, native_bf16

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


def test_the_default_backend_is_openvino_with_torchs_vectors(tmp_path):
    embedder = get_embedder("")
    assert Settings().embed_backend == "openvino"
    assert isinstance(embedder, OpenVinoEmbedder) and embedder.model_path == default_model_path()
    assert embedder.precision == ("bf16" if native_bf16() else "f32")
    reference = np.array(SentenceEmbedder().embed_documents(TEXTS))
    stored = np.array(embedder.embed_documents(TEXTS))
    asked = np.array([embedder.embed_query(text) for text in TEXTS])
    assert stored.shape == reference.shape and np.allclose(np.linalg.norm(stored, axis=1), 1.0, atol=1e-5)
    assert (stored * reference).sum(axis=1).min() > 0.999
    # A query lands where the same text stored as a document does (two compiled copies, one model).
    assert (stored * asked).sum(axis=1).min() > 0.999
    # Many texts of mixed length come back in their own order from the batches in flight.
    many = [TEXTS[i % 4] * (1 + i % 3) for i in range(41)]
    vectors = np.array(embedder.embed_documents(many))
    assert (vectors[:4] * np.array(embedder.embed_documents(many[:4]))).sum(axis=1).min() > 0.999
    assert (vectors[4:8] * vectors[:4]).sum(axis=1).max() < 0.9999  # different texts, different vectors
    assert np.allclose(vectors[12], vectors[24], atol=1e-5)  # the same text twice
    # Batches of similar token count, padded to a few lengths (OpenVINO prepares kernels per shape).
    batches = token_batches(embedder._encoded(many), 4, PAD_TO)
    assert sorted(i for batch, _ in batches for i in batch) == list(range(len(many)))
    assert all(feeds["input_ids"].shape[1] % PAD_TO == 0 for _, feeds in batches)
    lengths = [feeds["attention_mask"].sum(axis=1) for _, feeds in batches]
    assert all(shorter.max() <= longer.min() for shorter, longer in itertools.pairwise(lengths))


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


def test_a_documents_only_embedder_has_the_same_vectors_and_no_query_copy():
    documents_only = get_embedder("", queries=False)  # what an ingest worker runs
    assert documents_only is not get_embedder("") and documents_only._query_model is None
    same = np.array(documents_only.embed_documents(TEXTS)) * np.array(get_embedder("").embed_documents(TEXTS))
    assert same.sum(axis=1).min() > 0.9999
    with pytest.raises(RuntimeError, match="documents only"):
        documents_only.embed_query("Who met in Marlow?")
