"""Catalog search: a course is found by the words of its title, code, summary and strand (the
strand's name and code, so "SEL" and "social emotional" find every course of Social-Emotional
Learning), with word endings, accents, case and hyphens folded ("wellbeing", "well-being" and
"Well-Being" are one word; "restorative" finds "restore").

Each course keeps a search document (`Course.search_document`): its words folded, hyphenated words
also joined, and each word's Snowball English stem. PostgreSQL searches it with its full-text
search ("english" configuration, whose stemmer is the same Snowball algorithm); SQLite, which has
none built in, looks for each query word's stem at the start of a word of the document. Both
treat each query word as a prefix, so a word half typed already finds."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import snowballstemmer
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

_STEMMER = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z0-9]+(?:['’\-‐–][a-z0-9]+)*")
_JOINER = re.compile(r"['’\-‐–]")
# Words too common to narrow a search, dropped from queries on SQLite as PostgreSQL's "english"
# configuration drops its stop words: without this, "social and emotional" would need an "and".
FUNCTION_WORDS = frozenset(
    """a about after all also an and any are as at be been before being both but by can did do
    does for from had has have he her his how i if in into is it its just me more most my no nor
    not of off on once only or other our out over own same she should so some such than that the
    their them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with you your""".split()
)


def fold(text: str) -> str:
    """Lower case without accents: "Núñez" -> "nunez"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The folded words of a text; a hyphenated word gives its parts and the parts joined
    ("well-being" -> "well", "being", "wellbeing")."""
    found = []
    for match in _WORD.finditer(fold(text)):
        parts = _JOINER.split(match.group())
        found.extend(parts)
        if len(parts) > 1:
            found.append("".join(parts))
    return found


def document(texts: Iterable[str]) -> str:
    """The search document of the texts: each distinct word and its stem, between spaces, so
    that " stem" finds a word by its beginning."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in words(text):
            seen.setdefault(word)
            seen.setdefault(_STEMMER.stemWord(word))
    return f" {' '.join(seen)} " if seen else ""


def course_document(*, code: str, title: str, summary: str, strand_code: str, strand_name: str):
    return document([code, title, summary, strand_code, strand_name])


def query_words(text: str) -> list[list[str]]:
    """The words a query asks for, each with its spellings: a hyphenated word is found joined
    or as its parts, so "well-being" finds "Well-Being", "wellbeing" and "well being" alike. A
    spelling is a list of words that must all be found."""
    asked = []
    for match in _WORD.finditer(fold(text)):
        parts = _JOINER.split(match.group())
        asked.append([["".join(parts)], parts] if len(parts) > 1 else [parts])
    return asked


def matching(courses: QuerySet, text: str) -> QuerySet:
    """The courses whose search document has every word of the query (as the start of a word,
    endings folded). A query with no word to look for matches nothing."""
    asked = query_words(text)
    if connection.vendor == "postgresql":
        if not asked:
            return courses.none()
        # to_tsquery stems each word and drops stop words; ":*" makes each a prefix.
        query = SearchQuery(
            " & ".join(
                "("
                + " | ".join(
                    "(" + " & ".join(f"{part}:*" for part in spelling) + ")"
                    for spelling in spellings
                )
                + ")"
                for spellings in asked
            ),
            search_type="raw",
            config="english",
        )
        return courses.annotate(
            search_vector=SearchVector("search_document", config="english")
        ).filter(search_vector=query)
    condition = Q()
    looked_for = False
    for spellings in asked:
        either = Q()
        for spelling in spellings:
            stems = [_STEMMER.stemWord(part) for part in spelling if part not in FUNCTION_WORDS]
            if stems:
                both = Q()
                for stem in stems:
                    both &= Q(search_document__contains=f" {stem}")
                either |= both
        if either:
            condition &= either
            looked_for = True
    return courses.filter(condition) if looked_for else courses.none()
