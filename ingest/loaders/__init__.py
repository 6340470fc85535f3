"""One loader per format; `load_file` picks by extension and gathers per-record problems."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.articles import Article, LoadError
from ingest.loaders import html, records, text

Loader = Callable[[Path], Iterable[Article | tuple[str, LoadError]]]

LOADERS: dict[str, Loader] = {
    ".txt": text.load,
    ".md": text.load,
    ".markdown": text.load,
    ".html": html.load,
    ".htm": html.load,
    ".json": records.load_json,
    ".jsonl": records.load_jsonl,
}


@dataclass
class Loaded:
    articles: list[Article] = field(default_factory=list)
    # (where, what is wrong): "path" for the whole file, "path:line 3" for one record.
    problems: list[tuple[str, str]] = field(default_factory=list)


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in LOADERS


def load_file(path: Path) -> Loaded:
    loaded = Loaded()
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        loaded.problems.append((str(path), f"unsupported file type '{path.suffix}'"))
        return loaded
    try:
        for item in loader(path):
            if isinstance(item, Article):
                loaded.articles.append(item)
            else:
                where, err = item
                loaded.problems.append((f"{path}:{where}", str(err)))
    except LoadError as err:
        # A broken file yields nothing: records read before the error are dropped with it.
        return Loaded(problems=[(str(path), str(err))])
    except OSError as err:
        return Loaded(problems=[(str(path), f"cannot read: {err.strerror or err}")])
    return loaded
