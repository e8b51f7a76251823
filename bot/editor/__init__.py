"""Editor pages: the knowledge base and proactive notices."""
