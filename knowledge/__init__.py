"""The store's FAQ knowledge base: loading, lookup and validation of the YAML files."""

from knowledge.base import Faq, KnowledgeBase, KnowledgeError, KnowledgeRepository

__all__ = ["Faq", "KnowledgeBase", "KnowledgeError", "KnowledgeRepository"]
