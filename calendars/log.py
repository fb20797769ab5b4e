"""Keeps personal feed keys out of the logs: the key is the whole secret of a feed URL, and log
files are read by more people, and kept longer, than the feeds."""

import logging
import re

# Matches the path of a personal feed (learning/urls.py mounts calendars/ there; the URL is part
# of the stable interface), whatever follows the key. Loaded by the settings, before the URLconf.
FEED_PATH = re.compile(r"(/calendars/feed/)[^\s\"'?#/]+?(\.ics)?(?=[\s\"'?#/]|$)")
MASK = "<key>"


def mask_feed_keys(text: str) -> str:
    return FEED_PATH.sub(lambda match: match[1] + MASK + (match[2] or ""), text)


class MaskFeedKeys(logging.Filter):
    """Rewrites a record's message with feed keys masked. Attach it to a logger, so every handler
    of that logger (and of its parents) sees the masked message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_feed_keys(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
