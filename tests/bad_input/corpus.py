"""The bad and the awkward values every write path is fed: what must be refused with a 400 that
names the field, and the real names and texts that must be stored and shown back unchanged."""

# Text PostgreSQL refuses to store (and SQLite would keep): refused as input everywhere.
NUL = "Ann\x00Lee"

# Names and texts people really write: accepted, stored and shown back exactly as given.
UNICODE_TEXTS = {
    "accents": "José Núñez",
    "apostrophe_diaeresis": "Zoë O'Brien",
    "arabic_rtl": "مريم الحسن",
    "hebrew_rtl": "שרה כהן",
    "mixed_direction": "Workshop ورشة עבודה 2026",
    "emoji": "Great session 🎉👍",
    # Several code points shown as one: skin tone + zero-width joiner, and a flag.
    "emoji_sequences": "👩🏽‍🏫 Team 🇺🇸 👨‍👩‍👧‍👦",
    # Decomposed letters (e + combining acute); must not be normalised away.
    "combining": "Jose\u0301 Zoe\u0308 Ame\u0301lie",
    "cjk": "李小龍 さくら",
    "astral": "𝒜𝓁𝒾𝒸ℯ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
}

# Dates that are not dates.
INVALID_DATES = ["2026-02-30", "2026-02-29", "yesterday", "2026-13-01", "31/31/2026", "0000-00-00"]

# Wrong JSON types for a scalar field.
WRONG_TYPES = {
    "list": [1],
    "object": {"id": 1},
    "text": "abc",
}

BEYOND_ANY_ID = 2**80


def overlong(max_length: int) -> str:
    return "x" * (max_length + 1)
