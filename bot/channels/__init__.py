"""Customer channels: the web widget and Telegram."""
