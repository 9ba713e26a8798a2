"""FTS5's own tokens for the tantivy index, so that both match the same words.

FTS5 (`porter unicode61 remove_diacritics 2`) folds case and diacritics and stems with the first
Porter stemmer, which tantivy lacks (its English stemmer is Porter2: "generalization" and
"general" stem apart there, alike in FTS5). So FTS5 itself says what each word stands for: the
words tantivy splits a text into are tokenized by an in-memory FTS5 table with the store's
tokenizer and read back (`fts5vocab`), and the index receives those tokens, space-separated,
to a whitespace tokenizer. A searched phrase is tokenized the same way.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence

import tantivy

FTS5_TOKENIZER = "porter unicode61 remove_diacritics 2"
"""The tokenizer of `trials_fts` and `trials_cond_fts` (migrations 0001 and 0007)."""

_MAX_CACHED = 2_000_000
"""Most word forms a `WordForms` remembers before it starts again (memory stays bounded)."""


class Fts5Tokens:
    """FTS5's tokens of short texts, read back from an in-memory FTS5 table."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        # Contentless: `delete-all` empties it in full after each use (deleted rows of an
        # ordinary FTS5 table leave tombstones that pile up and get merged now and then).
        self._db.execute(
            "create virtual table texts using fts5 "
            f"(x, content = '', tokenize = '{FTS5_TOKENIZER}')"
        )
        self._db.execute("create virtual table tokens using fts5vocab (texts, instance)")
        self._lock = threading.Lock()

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        """Each text's tokens, in order, as FTS5 indexes them."""
        found: list[list[str]] = [[] for _ in texts]
        with self._lock, self._db:
            self._db.executemany(
                "insert into texts (rowid, x) values (?, ?)", list(enumerate(texts))
            )
            for doc, term in self._db.execute(
                """
                select
                    doc, term
                from tokens
                order by doc, offset
                """
            ):
                found[doc].append(term)
            self._db.execute("insert into texts (texts) values ('delete-all')")
        return found


_TOKENS = Fts5Tokens()


def fts5_tokens(texts: Sequence[str]) -> list[list[str]]:
    """Each text's tokens as FTS5 indexes them (the store's tokenizer)."""
    return _TOKENS.tokens(texts)


def word_splitter() -> tantivy.TextAnalyzer:
    """Runs of letters and digits, as written: the words FTS5's `unicode61` also splits on."""
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()


class WordForms:
    """Texts rewritten as FTS5's tokens, space-separated, for the index's whitespace fields."""

    def __init__(self) -> None:
        self._splitter = word_splitter()
        self._forms: dict[str, str] = {}
        self._joins: dict[str, bool] = {}

    def splits_alike(self, texts: Sequence[str]) -> bool:
        """Whether the index holds exactly FTS5's tokens of these texts: no character in them
        that tantivy's splitter cuts words at and FTS5 keeps inside a token (a combining
        accent, a private-use character). A character FTS5 cuts at and tantivy does not is
        harmless: the word's FTS5 tokens are indexed."""
        chars: set[str] = set().union(*(set(text) for text in texts if not text.isascii()))
        odd = {char for char in chars if not char.isascii()}
        unknown = sorted(odd - self._joins.keys())
        if unknown:
            joined = fts5_tokens([f"a{char}a" for char in unknown])
            for char, tokens in zip(unknown, joined, strict=True):
                is_split = len(self._splitter.analyze(f"a{char}a")) > 1
                self._joins[char] = is_split and len(tokens) == 1
        return not any(self._joins[char] for char in odd)

    def texts(self, texts: Sequence[str]) -> list[str]:
        """Each text as the FTS5 tokens of its words (a word FTS5 splits gives several)."""
        forms = self._forms
        rewritten: list[str] = []
        for text in texts:
            words = self._splitter.analyze(text)
            try:
                rewritten.append(" ".join([forms[w] for w in words]))
            except KeyError:
                self._learn(words)
                rewritten.append(" ".join([forms[w] for w in words]))
        return rewritten

    def _learn(self, words: list[str]) -> None:
        """Remember the FTS5 tokens of the words not yet known."""
        unknown = sorted({w for w in words if w not in self._forms})
        if len(self._forms) + len(unknown) > _MAX_CACHED:
            self._forms.clear()
            unknown = sorted(set(words))
        for word, tokens in zip(unknown, fts5_tokens(unknown), strict=True):
            self._forms[word] = " ".join(tokens)
