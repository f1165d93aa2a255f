"""Public pages anyone can open without signing in: home, verification entry points."""
