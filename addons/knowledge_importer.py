"""A Rasa importer that turns the knowledge files into ``faq/<id>`` training data.

The phrasings become examples of the retrieval intent ``faq/<id>``. The response
registered for each key is the FAQ's question, not its answer: the answer is read
at run time by ``action_answer_faq``, so editing it never invalidates the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge import KnowledgeBase
from support.language import languages

RETRIEVAL_INTENT = "faq"


class KnowledgeImporter(TrainingDataImporter):
    """Supplies NLU examples and response keys for every FAQ, in every language of the knowledge files.

    The languages of one FAQ share its id, so both teach ``faq/<id>``; the NLU pipeline keeps them
    apart by the language of each phrasing (``addons/language_detector.py``).
    """

    def __init__(
        self,
        config_file: str | None = None,
        domain_path: str | None = None,
        training_data_paths: Any | None = None,
        knowledge_dir: str = "data/knowledge",
    ) -> None:
        self._knowledge_dir = Path(knowledge_dir)

    def get_nlu_data(self, language: str | None = "en") -> TrainingData:
        """Returns the FAQ phrasings as retrieval-intent examples."""
        faqs = list(KnowledgeBase.load(self._knowledge_dir))
        examples = [
            Message.build(text=phrasing, intent=f"{RETRIEVAL_INTENT}/{faq.id}")
            for faq in faqs
            for phrasing in faq.phrasings
        ]
        # Rasa wants one response per key; the default language's question names it.
        default_first = sorted(faqs, key=lambda faq: faq.language != languages().default)
        responses = {f"utter_{RETRIEVAL_INTENT}/{faq.id}": [{"text": faq.question}] for faq in reversed(default_first)}
        return TrainingData(training_examples=examples, responses=responses)

    def get_domain(self) -> Domain:
        """Adds nothing to the domain; the responses come with the NLU data."""
        return Domain.empty()

    def get_stories(self, exclusion_percentage: int | None = None) -> StoryGraph:
        """Adds no stories."""
        return StoryGraph([])

    def get_conversation_tests(self) -> StoryGraph:
        """Adds no test stories."""
        return StoryGraph([])

    def get_config(self) -> dict[str, Any]:
        """Adds no configuration."""
        return {}

    def get_config_file_for_auto_config(self) -> str | None:
        """Has no config file."""
        return None
