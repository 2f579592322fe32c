"""Signals the calls domain sends to the layers above it (workflows listen)."""

from django.dispatch import Signal

# Sent by the DS intake, in its transaction, for a dossier changed on DS while complements
# were asked of its applicant: the applicant answered.
complements_filed = Signal()
