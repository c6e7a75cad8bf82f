"""The checks' passage sentences are embedded once, each alone, and kept between questions."""
import threading

import numpy as np

from bot.evidence import Evidence, SentenceVectors
from bot.types import Chunk, Passage

from fakes import HashEmbedder


class CountingEmbedder(HashEmbedder):
    def __init__(self):
        self.batches: list[list[str]] = []

    def embed_documents(self, texts):
        self.batches.append(list(texts))
        return super().embed_documents(texts)

    def embed_queries(self, texts):
        return super().embed_documents(texts)


def test_each_sentence_is_embedded_once_alone_and_kept():
    embedder = CountingEmbedder()
    vectors = SentenceVectors(embedder)
    first = vectors(["Le marché croît.", "Philips localise ses données."])
    again = vectors(["Philips localise ses données.", "Le marché croît.", "Yitu nettoie les données."])
    assert embedder.batches == [["Le marché croît."], ["Philips localise ses données."], ["Yitu nettoie les données."]]
    assert np.array_equal(first[0], again[1]) and np.array_equal(first[1], again[0])
    assert np.array_equal(again[2], embedder.embed_documents(["Yitu nettoie les données."])[0])
    assert vectors([]).shape == (0, embedder.dim)


def test_the_least_recently_used_are_dropped_past_the_bound():
    embedder = CountingEmbedder()
    vectors = SentenceVectors(embedder, size=2)
    vectors(["a b c", "d e f"])
    vectors(["a b c"])  # used again: 'd e f' is now the oldest
    vectors(["g h i"])
    assert len(vectors) == 2
    embedder.batches.clear()
    vectors(["a b c", "d e f"])
    assert embedder.batches == [["d e f"]]


def test_threads_sharing_it_get_the_same_vectors():
    vectors = SentenceVectors(HashEmbedder())
    texts = [f"phrase numéro {i} du rapport" for i in range(50)]
    results = []
    threads = [threading.Thread(target=lambda: results.append(vectors(texts))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(np.array_equal(r, results[0]) for r in results) and len(vectors) == 50


def test_evidence_reads_its_sentences_through_the_kept_vectors():
    embedder = CountingEmbedder()
    kept = SentenceVectors(embedder)
    shown = [Passage(Chunk(id="c1", source="r.txt", section="S", location="S", text="Le marché croît. Il double."),
                     1, 1.0, 0.9)]
    for _ in range(2):
        evidence = Evidence(embedder, shown, lambda: np.zeros((1, embedder.dim), np.float32), sentence_vectors=kept)
        assert evidence.sentence_scores("Le marché croît.")[0].score > 0.5
    sentences = [s for _, s in evidence.sentences]
    assert sentences and embedder.batches == [[s] for s in sentences]  # once each, for both questions
