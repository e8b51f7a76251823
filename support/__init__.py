"""Support settings shared by the gateway (queue, surveys) and the action server (callbacks)."""
