"""Reads of the staff side, shaped for the pages that show them, one module per area.

Lists go through these with their related rows joined; tests pin their query
counts. Nothing here writes: recording that someone read something is a service.
"""
