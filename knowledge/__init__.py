"""The store's FAQ knowledge base: loading, lookup, validation and safe editing of the YAML files."""

from knowledge.base import KNOWLEDGE_DIR, Faq, KnowledgeBase, KnowledgeError, KnowledgeRepository
from knowledge.changelog import Change, ChangeLog, Entry
from knowledge.editing import EditConflict, EditRefused, KnowledgeEditor, NeedsConfirmation, lock_path
from knowledge.validation import Report, Rules, check_directory, check_knowledge, validate_training_data
from knowledge.yaml_io import TopicFile, dump_topic_file, read_directory, read_topic_file, write_files

__all__ = [
    "KNOWLEDGE_DIR",
    "Change",
    "ChangeLog",
    "EditConflict",
    "EditRefused",
    "Entry",
    "Faq",
    "KnowledgeBase",
    "KnowledgeEditor",
    "KnowledgeError",
    "KnowledgeRepository",
    "NeedsConfirmation",
    "Report",
    "Rules",
    "TopicFile",
    "check_directory",
    "check_knowledge",
    "dump_topic_file",
    "lock_path",
    "read_directory",
    "read_topic_file",
    "validate_training_data",
    "write_files",
]
