"""Rasa plug-ins of this assistant: the knowledge importer and the Redis stores."""
