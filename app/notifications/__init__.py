"""Messages to people: SMS sign-in codes (and, from other modules, WeChat subscription messages)."""
