"""BM25 in memory over the keyword index's stored term vectors: FTS5's ranking, without its cost per row.

FTS5 calls its bm25() function once for every row a query matches: about 1 µs a row, so a question
of common-ish words over 150k chunks spent 40–90 ms there, while finding the rows took 3 ms. Here
each chunk's term vector (stemmed-term hashes and title-weighted frequencies, written by the keyword
index in the same transaction as its FTS5 row) is loaded once into posting arrays, and a query is
a few numpy gathers: the same BM25 formula as FTS5 (k1 1.2, b 0.75, IDF floored at 1e-6, document
length in tokens over both columns), so the ranking is FTS5's.

The arrays follow the index: new chunks (rowids only grow: AUTOINCREMENT) are read and added as a
small delta, deleted ones are masked, and the delta is merged when it grows. Until they match the
index, searches take FTS5's path: a search is never answered from a stale picture.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import Stemmer

# FTS5 unicode61's tokens: letters and digits; it also keeps every character past the BMP (emoji) in a
# token. The second pattern is twice as slow, and only text with such characters needs it.
TOKEN_RE = re.compile(r"[^\W_]+")
TOKEN_ASTRAL_RE = re.compile(r"(?:[^\W_]|[\U00010000-\U0010FFFF])+")
TITLE_WEIGHT = 2.0
K1, B = 1.2, 0.75  # FTS5's bm25() constants
MERGE_SHARE = 0.125  # merge the delta into the main arrays once it holds this share of the postings
DEAD_SHARE = 0.25  # rebuild from the index once this share of the chunks held in memory are deleted ones
_porter = Stemmer.Stemmer("porter")


def fold(text: str) -> str:
    """Lower-cased, diacritics removed: what FTS5's `unicode61 remove_diacritics 2` does to text."""
    text = text.lower()
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return text


@lru_cache(maxsize=1 << 18)
def term_hash(stem: str) -> int:
    """A stable 64-bit id for a stemmed term (Python's hash() changes with every process)."""
    return int.from_bytes(hashlib.blake2b(stem.encode(), digest_size=8).digest(), "little", signed=True)


def porter(word: str) -> str:
    return _porter.stemWord(word)


def stems(text: str) -> list[str]:
    """The words of `text` as FTS5's porter tokenizer stores them: words under 3 or over 64 bytes unstemmed."""
    folded = fold(text)
    ascii_only = folded.isascii()
    words = (TOKEN_RE if ascii_only or max(folded) < "\U00010000" else TOKEN_ASTRAL_RE).findall(folded)
    stemmed = _porter.stemWords(words)
    if ascii_only:  # a character is a byte
        return [stem if 3 <= len(word) <= 64 else word for word, stem in zip(words, stemmed, strict=True)]
    return [stem if 3 <= len(word.encode()) <= 64 else word for word, stem in zip(words, stemmed, strict=True)]


@lru_cache(maxsize=256)
def _title_stems(title: str) -> tuple[str, ...]:
    return tuple(stems(title))  # every chunk of an article has its title


def term_vector(title: str, body: str) -> tuple[bytes, bytes, int]:
    """(term hashes as int64 bytes, weighted frequencies as float32 bytes, length in tokens) of a chunk.

    The frequency is FTS5's weighted one: a title occurrence counts TITLE_WEIGHT, a body one 1."""
    title_stems, body_stems = _title_stems(title), stems(body)
    weights: dict[str, float] = Counter(body_stems)
    for stem in title_stems:
        weights[stem] += TITLE_WEIGHT
    hashes = np.fromiter((term_hash(stem) for stem in weights), dtype=np.int64, count=len(weights))
    frequencies = np.fromiter(weights.values(), dtype=np.float32, count=len(weights))
    return hashes.tobytes(), frequencies.tobytes(), len(title_stems) + len(body_stems)


@dataclass(frozen=True)
class Changes:
    """What the index holds past a rowid, as arrays, and its signature."""

    count: int  # chunks in the index
    top: int  # its largest rowid
    rowids: np.ndarray  # int64, ascending: the chunks added
    lengths: np.ndarray  # float64 tokens
    dates: np.ndarray  # int64 date_int
    sizes: np.ndarray  # int64 distinct terms of each added chunk
    hashes: np.ndarray  # int64, every added chunk's term hashes one after another
    frequencies: np.ndarray  # float32, likewise
    held: list[int] | None  # every rowid held, when fewer than expected are left (some were deleted)


@dataclass(frozen=True)
class _Segment:
    """Postings sorted by term: term `terms[i]` has slots/frequencies[starts[i]:starts[i + 1]]."""

    terms: np.ndarray  # int64 term hashes, sorted
    starts: np.ndarray  # int64, len(terms) + 1
    slots: np.ndarray  # int32 positions in the snapshot's per-chunk arrays
    frequencies: np.ndarray  # float32

    @classmethod
    def build(cls, hashes: np.ndarray, slots: np.ndarray, frequencies: np.ndarray) -> _Segment:
        order = np.argsort(hashes, kind="stable")
        sorted_hashes = hashes[order]
        if not len(sorted_hashes):
            return cls(
                sorted_hashes, np.zeros(1, dtype=np.int64), slots.astype(np.int32), frequencies.astype(np.float32)
            )
        # Sorted already: a term starts where the hash changes (np.unique would sort a copy again).
        starts = np.concatenate([[0], np.flatnonzero(np.diff(sorted_hashes)) + 1, [len(sorted_hashes)]])
        terms = sorted_hashes[starts[:-1]]
        del sorted_hashes
        return cls(terms, starts, slots[order].astype(np.int32), frequencies[order].astype(np.float32))

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        at = int(np.searchsorted(self.terms, term))
        if at == len(self.terms) or self.terms[at] != term:
            return _EMPTY_SLOTS, _EMPTY_FREQUENCIES
        start, end = self.starts[at], self.starts[at + 1]
        return self.slots[start:end], self.frequencies[start:end]

    def raw(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.repeat(self.terms, np.diff(self.starts)), self.slots, self.frequencies

    @property
    def size(self) -> int:
        return len(self.slots)


_EMPTY_SLOTS = np.zeros(0, dtype=np.int32)
_EMPTY_FREQUENCIES = np.zeros(0, dtype=np.float32)
_EMPTY_SEGMENT = _Segment.build(np.zeros(0, dtype=np.int64), _EMPTY_SLOTS, _EMPTY_FREQUENCIES)


@dataclass(frozen=True)
class Snapshot:
    """The index as of one state: `signature` (chunk count, largest rowid) says which."""

    signature: tuple[int, int]
    rowids: np.ndarray  # int64, ascending: slot -> rowid
    lengths: np.ndarray  # float64 tokens per chunk
    dates: np.ndarray  # int64 date_int per chunk
    alive: np.ndarray  # bool: the chunk is still in the index
    main: _Segment
    delta: _Segment
    count: int  # chunks alive
    norms: np.ndarray  # float64 BM25 length normalisation per chunk: k1 (1 - b + b length / average length)

    @classmethod
    def of(cls, signature, rowids, lengths, dates, alive, main, delta) -> Snapshot:
        count = int(alive.sum())
        average_length = float(lengths[alive].sum()) / count if count else 1.0
        norms = K1 * (1 - B + B * lengths / average_length)
        return cls(signature, rowids, lengths, dates, alive, main, delta, count, norms)

    def search(
        self,
        terms: list[str],
        *,
        phrase_scores: list[tuple[np.ndarray, np.ndarray]] = (),
        k: int,
        since: int | None,
        until: int | None,
    ) -> list[tuple[int, float]]:
        """(rowid, score) best first, for chunks holding any of `terms` (stemmed) or a scored phrase."""
        alive, count, norms = self.alive, self.count, self.norms
        if count == 0:
            return []
        scores = np.zeros(len(self.rowids), dtype=np.float64)
        for stem in terms:  # a stem twice ("dog", "dogs") counts twice, as in FTS5
            hashed = term_hash(stem)
            parts = [segment.postings(hashed) for segment in (self.main, self.delta)]
            slots = np.concatenate([part[0] for part in parts])
            if not len(slots):
                continue
            frequencies = np.concatenate([part[1] for part in parts]).astype(np.float64)
            hits = int(alive[slots].sum())
            idf = max(float(np.log((count - hits + 0.5) / (hits + 0.5))), 1e-6)
            scores[slots] += idf * frequencies * (K1 + 1) / (frequencies + norms[slots])
        for rowids, phrase in phrase_scores:
            slots = np.searchsorted(self.rowids, rowids)
            known = (slots < len(self.rowids)) & (self.rowids[np.minimum(slots, len(self.rowids) - 1)] == rowids)
            scores[slots[known]] += phrase[known]
        wanted = (scores > 0) & alive
        if since is not None:
            wanted &= self.dates >= since
        if until is not None:
            wanted &= self.dates <= until
        candidates = np.flatnonzero(wanted)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        candidates = candidates[np.argsort(-scores[candidates], kind="stable")]
        return [(int(self.rowids[slot]), float(scores[slot])) for slot in candidates]


class Postings:
    """The in-memory BM25 of one keyword index, refreshed in a background thread when the index moves on."""

    def __init__(self, read_changes) -> None:
        # read_changes(after, alive) -> Changes: the chunks past rowid `after`, read in one
        # transaction on the refreshing thread.
        self._read_changes = read_changes
        self.snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        self._refreshing: threading.Thread | None = None
        self.error: BaseException | None = None

    def current(self, signature: tuple[int, int]) -> Snapshot | None:
        """The snapshot of the index in state `signature`, or None (and a refresh started) if there is none yet."""
        snapshot = self.snapshot
        if snapshot is not None and snapshot.signature == signature:
            return snapshot
        self.refresh_in_background()
        return None

    def refresh_in_background(self) -> threading.Thread:
        with self._lock:
            if self._refreshing is None or not self._refreshing.is_alive():
                self._refreshing = threading.Thread(target=self._refresh_quietly, name="postings", daemon=True)
                self._refreshing.start()
            return self._refreshing

    def _refresh_quietly(self) -> None:
        try:
            self.refresh()
        except BaseException as error:  # FTS5 keeps answering; the next change tries again
            self.error = error

    def refresh(self) -> Snapshot:
        """Bring the snapshot in step with the index (on the calling thread) and return it."""
        old = self.snapshot
        if old is not None and (~old.alive).sum() > DEAD_SHARE * len(old.alive):
            old = None  # mostly deleted chunks: start again
        after = int(old.rowids[-1]) if old is not None and len(old.rowids) else 0
        alive_before = old.count if old is not None else 0
        changes = self._read_changes(after, alive_before)
        count, top, held = changes.count, changes.top, changes.held
        if old is not None and old.signature == (count, top):
            return old
        added_rowids, added_lengths, added_dates = changes.rowids, changes.lengths, changes.dates
        first_slot = len(old.rowids) if old is not None else 0
        added = (
            changes.hashes,
            np.repeat(np.arange(first_slot, first_slot + len(added_rowids), dtype=np.int32), changes.sizes),
            changes.frequencies,
        )
        if old is None:
            rowids, lengths, dates = added_rowids, added_lengths, added_dates
            alive = np.ones(len(rowids), dtype=bool)
            main, delta = _Segment.build(*added), _EMPTY_SEGMENT
        else:
            rowids = np.concatenate([old.rowids, added_rowids])
            lengths = np.concatenate([old.lengths, added_lengths])
            dates = np.concatenate([old.dates, added_dates])
            alive = np.concatenate([old.alive, np.ones(len(added_rowids), dtype=bool)])
            grown = [np.concatenate(pair) for pair in zip(old.delta.raw(), added, strict=True)]
            if len(grown[1]) > MERGE_SHARE * (old.main.size + len(grown[1])):
                merged = [np.concatenate(pair) for pair in zip(old.main.raw(), grown, strict=True)]
                main, delta = _Segment.build(*merged), _EMPTY_SEGMENT
            else:
                main, delta = old.main, _Segment.build(*grown)
        if held is not None:  # chunks were deleted: mask them
            alive &= np.isin(rowids, np.asarray(held, dtype=np.int64))
        self.snapshot = Snapshot.of((count, top), rowids, lengths, dates, alive, main, delta)
        return self.snapshot
