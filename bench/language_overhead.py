"""How long the language step (issue 18) adds to each message.

Runs bot.nlu.language_understanding.LanguageUnderstanding.process, as the NLU pipeline calls
it, with the heads of the trained model (models/assistant.tar.gz; `make train` first): on English
messages (tests/heldout/risk.yml: detection only) and on messages in the other languages
(content/risk_corpus_languages/ and content/nlu_languages/: detection, the multilingual
encoder, its two heads, the language's n-gram head and the risk phrases). The first pass is
reported apart.

    make bench-language        # or: python -m bench.language_overhead [--passes N]
"""

from __future__ import annotations

import argparse
import tarfile
import tempfile
import time
from pathlib import Path

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bench.risk_overhead import summary
from bot import language
from bot.encoder import multilingual
from bot.nlu.language_understanding import (
    INTENT_HEAD,
    LEXICAL_HEAD,
    LEXICAL_RISK_HEAD,
    RISK_HEAD,
    LanguageUnderstanding,
    intent_examples,
    load_lexical_heads,
)
from bot.risk.model import load_corpus
from tools.evaluation import load_risk_file

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "assistant.tar.gz"


def component_from_model(archive: Path) -> LanguageUnderstanding:
    """The component with the heads stored in a trained Rasa model."""
    with tarfile.open(archive) as tar, tempfile.TemporaryDirectory() as directory:
        for member in tar.getmembers():
            name = Path(member.name).name
            heads = (INTENT_HEAD, RISK_HEAD, LEXICAL_HEAD, LEXICAL_RISK_HEAD)
            if name.startswith(heads) and member.isfile():
                source = tar.extractfile(member)
                if source is not None:
                    (Path(directory) / name).write_bytes(source.read())
        intents = multilingual.EmbeddingHead.load(Path(directory), INTENT_HEAD)
        risk = multilingual.EmbeddingHead.load(Path(directory), RISK_HEAD)
        lexical = load_lexical_heads(Path(directory))
        lexical_risk = load_lexical_heads(Path(directory), LEXICAL_RISK_HEAD)
    return LanguageUnderstanding(LanguageUnderstanding.get_default_config(), None, None,
                                 intents, risk, lexical, lexical_risk)


def time_pass(component: LanguageUnderstanding, texts: list[str]) -> list[float]:
    """Microseconds per message for one pass over `texts`."""
    durations = []
    for text in texts:
        guess = {"name": "nlu_fallback", "confidence": 0.0}
        message = Message(data={TEXT: text, INTENT: guess, INTENT_RANKING_KEY: [guess]})
        start = time.perf_counter()
        component.process([message])
        durations.append((time.perf_counter() - start) * 1e6)
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    component = component_from_model(MODEL)
    risk, benign = load_risk_file(ROOT / "tests" / "heldout" / "risk.yml")
    english = [*(m for messages in risk.values() for m in messages), *benign]
    other = [text for text, _ in load_corpus(ROOT / "content" / "risk_corpus_languages")]
    other += [text for _, text in intent_examples(ROOT / "content" / "nlu_languages")]
    multilingual.encode(["warm up"])
    language.detector()  # as LanguageUnderstanding.load does when the server starts
    for label, texts in (("English", english), ("other languages", other)):
        print(summary(f"{label}, first pass ({len(texts)} messages)", time_pass(component, texts)))
        later = [d for _ in range(args.passes - 1) for d in time_pass(component, texts)]
        if later:
            print(summary(f"{label}, later passes", later))


if __name__ == "__main__":
    main()
