"""Administrative regions by GB/T 2260 code (province, prefecture, county), from a bundled data file."""
