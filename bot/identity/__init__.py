"""Who the customer is: the store's signed login and the proof a conversation holds."""
