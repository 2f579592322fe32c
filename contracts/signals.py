"""Signals the contract domain sends to the layers above it (workflows listen)."""

from django.dispatch import Signal

# Sent after a milestone's due date changed (reschedule or amendment): armed timers follow.
milestone_rescheduled = Signal()

# Sent after an amendment was approved, with the funding lines it added (calls link a
# granted dossier to its new line).
amendment_approved = Signal()

# Sent after a contract's signature was recorded: it is in force (calls: the dossier a
# funding convention funds is contracted).
contract_signed = Signal()
