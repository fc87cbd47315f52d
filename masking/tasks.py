"""Background tasks, run by the task queue's worker (`manage.py db_worker`)."""

from django_tasks import task

from masking.services.callback_delivery import callback_deliver


@task()
def deliver_callback(webhook_id: str) -> str:
    """Deliver one callback (or schedule its next try). Safe to run twice: it takes the callback
    with a lease first, and does nothing when it is not due."""
    return callback_deliver(webhook_id=webhook_id)
