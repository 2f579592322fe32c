"""The messages of the flows, sent by a task worker rather than inside a user's request."""

from django.core.mail import send_mail
from django_tasks import task


@task()
def send_message(subject: str, body: str, recipients: list[str]) -> int:
    """Send one message to ``recipients``; a mail server error fails the task, visibly."""
    return send_mail(subject, body, None, recipients)
