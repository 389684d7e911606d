"""Blueprints by audience: public (patients) and the JSON api."""
