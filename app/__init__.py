"""MicroSink (微碳汇): the 林草碳普惠 backend."""
