"""The bench's measurements, one module each: each has a STEP (what it runs) and row functions (its table lines)."""
