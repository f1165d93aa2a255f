"""Versioned methodology calculators (SC-LCP-*): formulas in code, parameters and versions as data."""
