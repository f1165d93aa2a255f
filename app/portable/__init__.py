"""Portable records: a person's verified planting, retirements and points, signed so another platform can check them."""
