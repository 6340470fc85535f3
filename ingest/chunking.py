"""Paragraph windows: each chunk is whole paragraphs, overlapping its neighbour by one paragraph.

A paragraph such as "..., he said." needs the one before it to say who "he" is; with a one-paragraph
overlap every pair of neighbouring paragraphs shares at least one chunk. Each chunk's embedded
text starts with the article's title and date, so a chunk is found by what the article is about.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.text import split_sentences


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str  # what is stored and quoted
    embed_text: str  # what is embedded: header + text


def _paragraph_units(text: str, max_chars: int) -> list[str]:
    """Paragraphs, with any paragraph longer than max_chars cut into runs of whole sentences."""
    units: list[str] = []
    for paragraph in text.split("\n\n"):
        if len(paragraph) <= max_chars:
            units.append(paragraph)
            continue
        run = ""
        for sentence in split_sentences(paragraph):
            piece = sentence.text
            while len(piece) > max_chars:  # a "sentence" with no end: cut it at a space
                cut = piece.rfind(" ", 0, max_chars)
                cut = cut if cut > 0 else max_chars
                if run:
                    units.append(run)
                    run = ""
                units.append(piece[:cut])
                piece = piece[cut:].lstrip()
            if run and len(run) + 1 + len(piece) > max_chars:
                units.append(run)
                run = piece
            else:
                run = f"{run} {piece}" if run else piece
        if run:
            units.append(run)
    return [u for u in units if u.strip()]


def chunk_article(text: str, *, title: str, date: str, max_chars: int = 900) -> list[Chunk]:
    units = _paragraph_units(text, max_chars)
    windows: list[list[str]] = []
    shares_first: list[bool] = []  # whether a window's first paragraph closed the window before
    start, overlapped = 0, False
    while start < len(units):
        end = start + 1
        size = len(units[start])
        while end < len(units) and size + 2 + len(units[end]) <= max_chars:
            size += 2 + len(units[end])
            end += 1
        windows.append(units[start:end])
        shares_first.append(overlapped)
        if end >= len(units):
            break
        # Overlap by the window's last paragraph, unless the window was that one paragraph.
        overlapped = end - 1 > start
        start = end - 1 if overlapped else end
    header = "\n".join(part for part in (title, date) if part)
    chunks = []
    for index, (window, shared) in enumerate(zip(windows, shares_first, strict=True)):
        body = "\n\n".join(window)
        # The shared paragraph is embedded once, with the window before: embedding is ingest's
        # whole cost, and the overlap only has to be in the stored text, for quoting and BM25.
        fresh = "\n\n".join(window[1:] if shared else window)
        chunks.append(Chunk(index=index, text=body, embed_text=f"{header}\n\n{fresh}" if header else fresh))
    return chunks
