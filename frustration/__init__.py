"""Scores how frustrated a customer sounds, per turn and per conversation, with reasons."""
