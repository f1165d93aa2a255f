"""Credits: monitoring reports, issuance, serial blocks, supply, reservations, retirement, reversal."""
