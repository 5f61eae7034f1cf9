"""Enlist: the identity provisioning side of a team-calendar service."""

__version__ = "0.1.0"
