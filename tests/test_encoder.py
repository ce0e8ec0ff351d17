"""The request path of the real offline encoder (all-MiniLM-L6-v2): a request's few texts go through a TorchScript
trace of the model, which must give the eager model's embeddings for any length and batch, or the ranking of
concepts would drift from the cached concept matrix (made by the eager model)."""

from __future__ import annotations

import numpy as np


def test_traced_request_encoder_equals_the_eager_model(encoder):
    texts = ["the organ making insulin and digestive enzymes", "bile",
             "the vein returning blood from the lower body to the heart, the whole length of it please"]
    traced_pair = encoder.encode(texts[:2])  # traced on first use, with a batch of two
    traced_single = [encoder.encode([t]) for t in texts]  # then other lengths, one at a time
    eager = encoder._encode(texts, 64)
    assert encoder._request_model not in (None, False)  # the trace was built and is what answered
    assert np.abs(traced_pair - eager[:2]).max() < 1e-5
    assert np.abs(np.concatenate(traced_single) - eager).max() < 1e-5
    assert np.allclose(np.linalg.norm(eager, axis=1), 1.0, atol=1e-5)


def test_the_tokenizer_gives_transformers_input_ids(encoder):
    """The encoder tokenizes with the `tokenizers` library alone (importing transformers' model classes costs
    seconds per process); its batches must be exactly what transformers' own tokenizer makes of the same file."""
    import json

    from conftest import APP
    from transformers import AutoTokenizer

    texts = [json.loads(line)["prompt"] for suite in sorted((APP / "lib" / "bench" / "suites").glob("blind_r16*"))
             for line in suite.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += ["word " * 300, "", "ÄÖÜ café naïve Ω", "🫘 \u2028 left kidney \u202e"]  # truncation, empty, accents
    reference = AutoTokenizer.from_pretrained(str(encoder.model_dir), local_files_only=True)
    for start in range(0, len(texts), 64):
        expected = reference(texts[start:start + 64], padding=True, truncation=True, max_length=128,
                             return_tensors="pt")
        made = encoder._batch(texts[start:start + 64])
        for key, value in made.items():
            assert value.shape == expected[key].shape and bool((value == expected[key]).all()), (key, start)


def test_a_saved_trace_answers_the_next_process_without_the_eager_model(tmp_path):
    """The first encoder traces the model and saves it in the cache; the next one loads that file and never loads
    transformers' eager model, and its embeddings are the same."""
    from lib.reasoning.embed import TextEncoder

    texts = ["the gland on top of the left kidney", "stores bile"]
    first = TextEncoder(cache_dir=tmp_path)
    made = np.concatenate([first.encode([t]) for t in texts])
    assert len(list(tmp_path.glob("encoder-*.pt"))) == 1
    second = TextEncoder(cache_dir=tmp_path)
    loaded = np.concatenate([second.encode([t]) for t in texts])
    assert second._model is None  # answered by the saved trace alone
    assert np.abs(loaded - made).max() < 1e-6
    assert np.abs(loaded - second._encode(texts, 64)).max() < 1e-5  # (this loads the eager model to compare)


def test_a_saved_trace_that_does_not_load_is_traced_again(tmp_path):
    """A truncated or foreign file in the cache never leaves requests on the slow eager model for good."""
    from lib.reasoning.embed import TextEncoder

    first = TextEncoder(cache_dir=tmp_path)
    first.encode(["liver"])
    saved = next(tmp_path.glob("encoder-*.pt"))
    saved.write_bytes(b"not a TorchScript archive")
    second = TextEncoder(cache_dir=tmp_path)
    made = second.encode(["the organ that stores bile"])
    assert second._request_model not in (None, False)  # traced again, not the eager fallback
    assert np.abs(made - second._encode(["the organ that stores bile"], 64)).max() < 1e-5
    assert saved.stat().st_size > 1000  # the bad file was replaced by the new trace
