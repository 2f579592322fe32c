"""Flow nodes with the checks viewflow leaves out: scope and four-eyes (VIEWFLOW_NOTES 4-6)."""

from viewflow.workflow import flow

from .selectors import can_see_workflows, process_in_scope


def prepared_by_owner(activation) -> dict:
    """Task data for the next node: who completed (prepared) this step."""
    return {"prepared_by": activation.task.owner_id}


class ScopedStart(flow.Start):
    """A start node only people with workflow access may use."""

    def can_execute(self, user, task=None):
        return can_see_workflows(user) and super().can_execute(user, task)


class ScopedView(flow.View):
    """A human task with the role permission, the process scope and the four-eyes rule.

    ``PreparedBy(getter)`` names the preparer of the decision this task takes, from the
    artifact (``getter(process) -> user id``); the task data written by
    ``prepared_by_owner`` is checked too. The preparer can neither take nor execute
    the task, whatever roles they hold. The services check the same rule again.
    """

    _preparer_getter = None

    def PreparedBy(self, getter):
        self._preparer_getter = getter
        return self

    def preparer_ids(self, task) -> set[int]:
        """Return the ids of the people who prepared what ``task`` decides on."""
        ids = set()
        if task.data and task.data.get("prepared_by"):
            ids.add(task.data["prepared_by"])
        if self._preparer_getter is not None:
            preparer_id = self._preparer_getter(task.process.coerced)
            if preparer_id:
                ids.add(preparer_id)
        return ids

    def is_preparer(self, user, task) -> bool:
        return user.pk in self.preparer_ids(task)

    def _allowed(self, user, task) -> bool:
        return (
            can_see_workflows(user)
            and process_in_scope(user, task.process)
            and not self.is_preparer(user, task)
        )

    def can_assign(self, user, task):
        return super().can_assign(user, task) and self._allowed(user, task)

    def can_execute(self, user, task):
        return super().can_execute(user, task) and self._allowed(user, task)

    def can_view(self, user, task):
        return can_see_workflows(user) and process_in_scope(user, task.process)
