"""experta is installed with the frozendict override and its engine fires rules on this Python."""

from __future__ import annotations

from experta import Fact, KnowledgeEngine, Rule


class Ping(Fact):
    pass


class Echo(KnowledgeEngine):
    def __init__(self) -> None:
        super().__init__()
        self.heard: list[str] = []

    @Rule(Ping(word="hello"))
    def answer(self) -> None:
        self.heard.append("hello")


def test_experta_fires_a_rule_once() -> None:
    engine = Echo()
    engine.reset()
    engine.declare(Ping(word="hello"))
    engine.run()
    engine.run()
    assert engine.heard == ["hello"]
