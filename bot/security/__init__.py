"""What keeps the gateway safe to put on the internet: allowed origins, client addresses, response headers."""
