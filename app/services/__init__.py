"""Domain services: the rules of SPEC §3, one module per area.

Functions here change state and only ``flush``; the request layer commits once.
Pure cores (tax, fees, calendar, identity checks) take plain values.
"""
