"""Custom actions of the Maru support assistant (run by the Rasa SDK action server)."""
