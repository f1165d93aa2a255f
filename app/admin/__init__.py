"""Platform administration: organisations and who holds which role."""
