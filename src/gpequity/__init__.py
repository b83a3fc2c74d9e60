"""gpequity: fairer English general practice funding, from the official NHS files."""

__version__ = "0.1.0"
