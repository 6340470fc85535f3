"""The keyword (BM25) index beside Chroma: SQLite FTS5, persisted in one file, kept in step on every write.

Chroma is the one source of truth: `sync` rebuilds whatever the keyword index lacks or has too
many of from the chunks Chroma holds, so a lost or stale index file repairs itself. SQLite gives
BM25 ranking (FTS5's bm25()), incremental inserts and deletes, and safe concurrent readers and
writers across processes, with nothing to install.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from pathlib import Path

import numpy as np

from qa.acronyms import choose, phrases_in
from qa.postings import TITLE_WEIGHT, TOKEN_RE, Changes, Postings, porter, stems, term_vector
from qa.text import STOPWORDS

SCHEMA_VERSION = 5
SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the in-memory postings find new chunks by rowid
    chunk_id TEXT NOT NULL UNIQUE,
    article_id TEXT NOT NULL,
    date_int INTEGER NOT NULL DEFAULT 0,
    length INTEGER NOT NULL DEFAULT 0,  -- tokens, title and body
    hashes BLOB,  -- the term vector (qa/postings.py): stemmed-term hashes, int64
    frequencies BLOB  -- ... and their title-weighted frequencies, float32
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, body, tokenize = 'porter unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS phrases (
    chunk_rowid INTEGER NOT NULL,
    initials TEXT NOT NULL,
    phrase TEXT NOT NULL,
    weight INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS phrases_initials ON phrases(initials);
CREATE TABLE IF NOT EXISTS statements (
    chunk_rowid INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    speaker TEXT NOT NULL,
    cue TEXT NOT NULL,
    direct INTEGER NOT NULL,
    words TEXT NOT NULL,
    context TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL,
    date_int INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS statements_chunk ON statements(chunk_rowid);
CREATE INDEX IF NOT EXISTS statements_article ON statements(article_id);
CREATE INDEX IF NOT EXISTS phrases_chunk ON phrases(chunk_rowid);
"""
BM25 = f"bm25(fts, {TITLE_WEIGHT}, 1.0)"
MAX_QUERY_TOKENS = 64
COMMON_SHARE = 0.1  # a word in more of the chunks than this is left out of the BM25 match
MIN_TERMS = 3  # ... unless it is among the query's few rarest words
COMMON_MIN_CHUNKS = 1000  # in a small store every word counts


def _frequency_stem(word: str) -> str:
    """The stem a question word's document frequency is looked up by: porter's, even for the two-letter
    words FTS5 keeps unstemmed. So "us" is looked up as "u", the token of "U.S.", and the country is
    weighed by its mentions, not by the pronoun's. The FTS5-exact lookup cost Hits@1 and Hits@4 0.02 and
    Hits@10 0.01 on rtqa-dev; it waits for a question's "US" to be read as the country."""
    return porter(word)


def query_tokens(query: str) -> list[str]:
    """The query's words to match: lower-cased, no stopwords, each once, at most MAX_QUERY_TOKENS."""
    seen: list[str] = []
    for token in TOKEN_RE.findall(query.lower()):
        if token not in STOPWORDS and token not in seen:
            seen.append(token)
    return seen[:MAX_QUERY_TOKENS]


def match_expression(query: str | list[str], phrases: tuple[str, ...] = ()) -> str:
    """An FTS5 query: any of the question's words (and exact phrases), each quoted so it is data."""
    tokens = query_tokens(query) if isinstance(query, str) else query
    parts = [f'"{t}"' for t in tokens]
    parts += ['"' + " ".join(TOKEN_RE.findall(p.lower())) + '"' for p in phrases if TOKEN_RE.search(p)]
    return " OR ".join(parts)


class KeywordIndex:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._writes = 0  # this process's commits, which SQLite's data_version does not count
        self.postings = Postings(self._changes_since)
        db = self._connect()
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            # An index from another version: drop it; `sync` rebuilds it from Chroma.
            db.executescript(
                "DROP TABLE IF EXISTS chunks; DROP TABLE IF EXISTS fts; DROP TABLE IF EXISTS phrases; "
                "DROP TABLE IF EXISTS statements;"
            )
            db.executescript(SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _connect(self) -> sqlite3.Connection:
        """One connection per thread (the app answers on several threads)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")  # readers keep reading while a writer writes
            db.execute("PRAGMA synchronous=NORMAL")
            # Document frequencies of the index's own (porter-stemmed) terms, for term weights.
            db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, fts, row)")
            self._local.db = db
        return db

    def _statistics(self) -> dict:
        """This thread's cache of the chunk count, document frequencies and acronyms, emptied whenever the index
        changes: counting 150k rows or a common word's postings takes milliseconds, asked for every
        term of every question. SQLite's data_version moves when another connection commits; this
        process's own commits move `_writes`."""
        version = (self._connect().execute("PRAGMA data_version").fetchone()[0], self._writes)
        cache = getattr(self._local, "statistics", None)
        if cache is None or cache["version"] != version:
            cache = self._local.statistics = {
                "version": version,
                "signature": None,
                "doc": {},
                "acronyms": {},
            }
        return cache

    def signature(self) -> tuple[int, int]:
        """(chunk count, largest rowid): a different pair for every state, rowids being never reused."""
        cache = self._statistics()
        if cache["signature"] is None:
            count, top = self._connect().execute("SELECT count(*), coalesce(max(rowid), 0) FROM chunks").fetchone()
            cache["signature"] = (count, top)
        return cache["signature"]

    def _changes_since(self, after: int, alive: int) -> Changes:
        """For the postings (qa/postings.py), in one read transaction: the signature, the chunks past rowid
        `after`, and every rowid held if fewer than `alive` + those are left (some were deleted). Read a
        few thousand rows at a time into arrays: 150k chunks' term vectors are 180 MB as bytes objects."""
        db = self._connect()
        db.execute("BEGIN")
        try:
            count, top = db.execute("SELECT count(*), coalesce(max(rowid), 0) FROM chunks").fetchone()
            cursor = db.execute(
                "SELECT rowid, length, date_int, hashes, frequencies FROM chunks WHERE rowid > ? ORDER BY rowid",
                (after,),
            )
            numbers: list[tuple[int, int, int, int]] = []
            hashes, frequencies = [], []
            while rows := cursor.fetchmany(4096):
                numbers += [(row[0], row[1], row[2], len(row[3] or b"") // 8) for row in rows]
                hashes.append(np.frombuffer(b"".join(row[3] or b"" for row in rows), dtype=np.int64))
                frequencies.append(np.frombuffer(b"".join(row[4] or b"" for row in rows), dtype=np.float32))
            held = None
            if count != alive + len(numbers):
                held = [row[0] for row in db.execute("SELECT rowid FROM chunks")]
        finally:
            db.execute("COMMIT")
        table = np.array(numbers, dtype=np.int64).reshape(-1, 4)
        return Changes(
            count=count,
            top=top,
            rowids=table[:, 0],
            lengths=table[:, 1].astype(np.float64),
            dates=table[:, 2],
            sizes=table[:, 3],
            hashes=np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.int64),
            frequencies=np.concatenate(frequencies) if frequencies else np.zeros(0, dtype=np.float32),
            held=held,
        )

    def count(self) -> int:
        return self.signature()[0]

    def document_frequency(self, term: str) -> int:
        """How many chunks hold this (porter-stemmed) term."""
        cache = self._statistics()["doc"]
        if term not in cache:
            row = self._connect().execute("SELECT doc FROM temp.vocab WHERE term = ?", (term,)).fetchone()
            cache[term] = row[0] if row else 0
        return cache[term]

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self._connect().execute("SELECT chunk_id FROM chunks")}

    def replace(self, add: list[tuple[str, str, int, str, str]], remove: list[str] = ()) -> None:
        """In one transaction: drop `remove`, (re)write `add` (chunk_id, article_id, date_int, title, body)."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            for chunk_id in [*remove, *(row[0] for row in add)]:
                found = db.execute("SELECT rowid FROM chunks WHERE chunk_id = ?", (chunk_id,)).fetchone()
                if found:
                    db.execute("DELETE FROM fts WHERE rowid = ?", found)
                    db.execute("DELETE FROM chunks WHERE rowid = ?", found)
                    db.execute("DELETE FROM phrases WHERE chunk_rowid = ?", found)
                    db.execute("DELETE FROM statements WHERE chunk_rowid = ?", found)
            rowids: dict[str, int] = {}
            for chunk_id, article_id, date_int, title, body in add:
                hashes, frequencies, length = term_vector(title, body)
                cursor = db.execute(
                    "INSERT INTO chunks (chunk_id, article_id, date_int, length, hashes, frequencies) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (chunk_id, article_id, int(date_int or 0), length, hashes, frequencies),
                )
                rowids[chunk_id] = cursor.lastrowid
                db.execute("INSERT INTO fts (rowid, title, body) VALUES (?, ?, ?)", (cursor.lastrowid, title, body))
                db.executemany(
                    "INSERT INTO phrases (chunk_rowid, initials, phrase, weight) VALUES (?, ?, ?, ?)",
                    [(cursor.lastrowid, *found) for found in phrases_in(body)],
                )
            db.executemany(
                "INSERT INTO statements (chunk_rowid, article_id, speaker, cue, direct, words, context, title, "
                "position, date_int) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(rowids[row[0]], *row[1:]) for row in _statement_rows(add)],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            self._writes += 1

    def statements_by(self, name: str, *, until: int | None = None) -> list[dict]:
        """Every stored statement whose speaker's name holds `name`'s words ("Mishustin" finds
        "Mikhail Mishustin"), with its chunk id, oldest first."""
        parts = [part for part in name.split() if part]
        if not parts:
            return []
        sql = (
            "SELECT c.chunk_id, s.article_id, s.speaker, s.cue, s.direct, s.words, s.context, s.title, s.position, "
            "s.date_int "
            "FROM statements s JOIN chunks c ON c.rowid = s.chunk_rowid WHERE "
            + " AND ".join("(' ' || s.speaker || ' ') LIKE ?" for _ in parts)
        )
        params: list = [f"% {part} %" for part in parts]
        if until is not None:
            sql += " AND s.date_int <= ?"
            params.append(until)
        sql += " ORDER BY s.date_int, s.article_id, s.position"
        keys = (
            "chunk_id",
            "article_id",
            "speaker",
            "cue",
            "direct",
            "words",
            "context",
            "title",
            "position",
            "date_int",
        )
        return [dict(zip(keys, row, strict=True)) for row in self._connect().execute(sql, params)]

    def people_by_article(self) -> dict[str, list[str]]:
        """Every article's quoted people, most statements first: what the Library lists."""
        people: dict[str, list[str]] = {}
        rows = self._connect().execute(
            "SELECT article_id, speaker FROM statements GROUP BY article_id, speaker "
            "ORDER BY article_id, count(*) DESC, min(position)"
        )
        for article_id, speaker in rows:
            people.setdefault(article_id, []).append(speaker)
        return people

    def speakers_in(self, article_id: str) -> list[str]:
        """The people quoted in an article, most statements first."""
        rows = self._connect().execute(
            "SELECT speaker FROM statements WHERE article_id = ? "
            "GROUP BY speaker ORDER BY count(*) DESC, min(position)",
            (article_id,),
        )
        return [row[0] for row in rows]

    def rarity(self, text: str) -> float:
        """How rare the rarest word of `text` is among the stored chunks: 1.0 unseen, near 0 everywhere.

        A normalised inverse document frequency: log(N / df) / log(N).
        """
        total = self.count()
        words = [w for w in TOKEN_RE.findall(text.lower()) if w not in STOPWORDS]
        if total < 2 or not words:
            return 1.0
        rarest = min(self.document_frequency(_frequency_stem(word)) for word in words)
        if rarest == 0:
            return 1.0
        return max(0.0, min(1.0, math.log(total / rarest) / math.log(total)))

    def expand_acronym(self, acronym: str) -> list[str]:
        """The phrases the stored chunks spell `acronym` with, most frequent first."""
        cache = self._statistics()["acronyms"]
        if acronym not in cache:
            rows = self._connect().execute(
                "SELECT phrase, sum(weight) FROM phrases WHERE initials = ? GROUP BY phrase ORDER BY 2 DESC LIMIT 20",
                (acronym.upper(),),
            )
            cache[acronym] = choose([(phrase, int(count)) for phrase, count in rows])
        return list(cache[acronym])

    def search(
        self,
        query: str,
        *,
        phrases: tuple[str, ...] = (),
        k: int = 30,
        since: int | None = None,
        until: int | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk_id, BM25 score: higher is better), best first.

        Words in more than COMMON_SHARE of the chunks are left out of the match (the MIN_TERMS
        rarest words always stay): FTS5 scores every row that matches, so one word such as "new" or
        "one" (a third of a news store) made a query cost 100 ms and more at 150k chunks, and adds
        little to BM25 (its inverse document frequency is near zero) next to the rarer words.
        """
        tokens = self._uncommon(query_tokens(query))
        snapshot = self.postings.current(self.signature())
        if snapshot is not None:
            return self._search_in_memory(snapshot, tokens, phrases, k=k, since=since, until=until)
        return self._search_fts(tokens, phrases, k=k, since=since, until=until)

    def _search_in_memory(self, snapshot, tokens, phrases, *, k, since, until) -> list[tuple[str, float]]:
        """BM25 from the in-memory postings; an exact phrase's share of the score still comes from FTS5
        (it needs word positions), over the few chunks that hold it."""
        db = self._connect()
        phrase_scores = []
        for phrase in phrases:
            expression = match_expression([], (phrase,))
            if expression:
                rows = db.execute(f"SELECT rowid, -{BM25} FROM fts WHERE fts MATCH ?", (expression,)).fetchall()
                phrase_scores.append(
                    (np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.float64))
                )
        found = snapshot.search(stems(" ".join(tokens)), phrase_scores=phrase_scores, k=k, since=since, until=until)
        if not found:
            return []
        marks = ",".join("?" * len(found))
        ids = dict(db.execute(f"SELECT rowid, chunk_id FROM chunks WHERE rowid IN ({marks})", [r for r, _ in found]))
        return [(ids[rowid], score) for rowid, score in found if rowid in ids]

    def _search_fts(self, tokens, phrases, *, k, since, until) -> list[tuple[str, float]]:
        expression = match_expression(tokens, phrases)
        if not expression:
            return []
        if since is None and until is None:
            # Rank in FTS5 alone and look up the chunk ids of the top k only, not of every match.
            sql = (
                f"SELECT c.chunk_id, s.score FROM (SELECT rowid, -{BM25} AS score FROM fts WHERE fts MATCH ? "
                f"ORDER BY {BM25} LIMIT ?) s JOIN chunks c ON c.rowid = s.rowid ORDER BY s.score DESC"
            )
            params: list = [expression, k]
        else:
            sql = f"SELECT c.chunk_id, -{BM25} AS score FROM fts JOIN chunks c ON c.rowid = fts.rowid WHERE fts MATCH ?"
            params = [expression]
            if since is not None:
                sql += " AND c.date_int >= ?"
                params.append(since)
            if until is not None:
                sql += " AND c.date_int <= ?"
                params.append(until)
            sql += f" ORDER BY {BM25} LIMIT ?"
            params.append(k)
        return [(row[0], float(row[1])) for row in self._connect().execute(sql, params)]

    def _uncommon(self, tokens: list[str]) -> list[str]:
        total = self.count()
        if len(tokens) <= MIN_TERMS or total < COMMON_MIN_CHUNKS:
            return tokens
        frequency = {token: self.document_frequency(_frequency_stem(token)) for token in tokens}
        rarest = set(sorted(tokens, key=frequency.__getitem__)[:MIN_TERMS])
        return [token for token in tokens if token in rarest or frequency[token] <= COMMON_SHARE * total]

    def holding(self, chunk_ids: list[str]) -> set[str]:
        """Which of these chunks the index holds: the committed ones, the only ones readers may see."""
        if not chunk_ids:
            return set()
        marks = ",".join("?" * len(chunk_ids))
        rows = self._connect().execute(f"SELECT chunk_id FROM chunks WHERE chunk_id IN ({marks})", chunk_ids)
        return {row[0] for row in rows}

    def sync(self, collection, batch: int = 200) -> tuple[int, int]:
        """Make the index hold exactly the newest complete version of every article Chroma holds.
        Returns (added, removed).

        Chroma can hold more than that for a while: another process's batch half-written, or an old
        version whose new one is committed but not yet cleared away. Half a version is never indexed.
        """
        from qa.store import article_of, newest_complete_version

        stored = set(collection.get(include=[])["ids"])
        indexed = self.chunk_ids()
        removed = indexed - stored
        self.replace([], sorted(removed))
        touched = sorted({article_of(chunk_id) for chunk_id in stored - indexed})
        added = 0
        for start in range(0, len(touched), batch):
            found = collection.get(
                where={"article_id": {"$in": touched[start : start + batch]}}, include=["documents", "metadatas"]
            )
            rows_by_article: dict[str, list[tuple[str, dict, str]]] = {}
            for chunk_id, text, meta in zip(found["ids"], found["documents"], found["metadatas"], strict=True):
                rows_by_article.setdefault(str(meta.get("article_id", "")), []).append((chunk_id, meta, text or ""))
            add, superseded = [], set()
            for article_id, rows in rows_by_article.items():
                version = newest_complete_version([(chunk_id, meta) for chunk_id, meta, _ in rows])
                if version is None:
                    continue  # being written, or left half-written: its writer's recovery settles it
                wanted = [row for row in rows if str(row[1].get("content_hash", "")) == version]
                wanted_ids = {chunk_id for chunk_id, _, _ in wanted}
                superseded |= set(self.article_chunk_ids(article_id)) - wanted_ids
                add += [
                    (chunk_id, article_id, int(meta.get("date_int", 0) or 0), str(meta.get("title", "")), text)
                    for chunk_id, meta, text in wanted
                    if chunk_id not in indexed
                ]
            self.replace(add, sorted(superseded))  # one transaction: readers see one version or the other
            added += len(add)
            removed |= superseded
        return added, len(removed)

    def article_chunk_ids(self, article_id: str) -> list[str]:
        return [
            row[0] for row in self._connect().execute("SELECT chunk_id FROM chunks WHERE article_id = ?", (article_id,))
        ]


def _statement_rows(add: list[tuple[str, str, int, str, str]]) -> list[tuple]:
    """Statement rows (chunk_id, article_id, speaker, cue, direct, words, position, date_int) for the
    articles in `add`, each of which comes whole (every chunk of its version)."""
    from qa.attribution import statements_in_chunks
    from qa.store import article_of

    by_article: dict[str, list[tuple[int, str, str, int]]] = {}
    for chunk_id, article_id, date_int, title_of_article, body in add:
        suffix = chunk_id.rsplit("-", 1)[-1]
        index = int(suffix) if suffix.isdigit() else 0
        chunk = (index, chunk_id, body, int(date_int or 0), title_of_article)
        by_article.setdefault(article_id or article_of(chunk_id), []).append(chunk)
    rows = []
    for article_id, chunks in by_article.items():
        chunks.sort()
        date_int, title = chunks[0][3], chunks[0][4]
        found = statements_in_chunks([(chunk[1], chunk[2]) for chunk in chunks])
        for position, (chunk_id, statement, words, context) in enumerate(found):
            speech = (statement.speaker, statement.cue, int(statement.direct), words, context, title)
            rows.append((chunk_id, article_id, *speech, position, date_int))
    return rows
