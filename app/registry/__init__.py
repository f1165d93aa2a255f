"""The micro-sink registry (微碳汇登记): projects, parcels by phone, the overlap rule, review."""
