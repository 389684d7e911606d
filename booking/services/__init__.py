"""Glue between the database and the pure domain; services own the transactions."""
