"""The agent console: login, the live queue, conversations and callbacks."""
