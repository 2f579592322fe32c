"""Signals the contract domain sends to the layers above it (workflows listen)."""

from django.dispatch import Signal

# Sent after a milestone's due date changed (reschedule or amendment): armed timers follow.
milestone_rescheduled = Signal()
