"""The gateway: the only public face of the assistant (web widget, Telegram, later consoles)."""
