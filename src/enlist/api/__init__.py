"""The JSON API for the calendar application, under /api/v1: access, people and events."""
