"""coalition — a terminal CRM for people who run coalitions of organisations."""

__version__ = "0.1.0"
