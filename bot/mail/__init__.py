"""Mail to customers: what the gateway writes (``mailroom``) and the loop that sends it (``sender``)."""
