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
