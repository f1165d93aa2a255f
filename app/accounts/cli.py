"""Commands to set up the first admin, organisations and roles."""
