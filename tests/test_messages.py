"""knowledge/data/messages.yaml: the command line's and the intake's own sentences, read through the
catalog. Each is a format string whose fields are named, so a sentence cannot take a value by
position and swap two of them."""

from __future__ import annotations

import string

import pytest

from knowledge.catalog import messages


def test_every_sentence_names_each_value_it_takes() -> None:
    unnamed = [f"{group}.{key}" for group in ("cli", "intake", "history", "review", "fhir",
                                              "follow_up", "web", "web_intake", "web_records")
               for key, text in getattr(messages(), group).items()
               for _, field, _, _ in string.Formatter().parse(text)
               if field is not None and not field.isidentifier()]
    assert [] == unnamed


def test_a_sentence_is_filled_in_by_name() -> None:
    assert "stopped; assessment 7 is stored (tripod show 7)" == messages().say(
        "intake.stopped_after", id=7)


def test_an_unknown_sentence_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        messages().say("cli.no_such_sentence")
