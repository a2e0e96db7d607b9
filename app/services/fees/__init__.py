"""Experts' fees: the 附件4 standard, pricing service records, quarterly payouts with withheld income
tax, statements and what towns owe (第十九、二十条, 附件4)."""
