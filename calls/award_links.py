"""What the contract page shows under a line about its individual awards."""

from django.urls import reverse
from django.utils.translation import gettext, ngettext

from contracts.actions import LineLink

from . import selectors
from .award_views import VIEW_PERMISSION
from .models import AwardKind


def award_line_links(user, contract) -> dict[int, list[LineLink]]:
    """Return, per line of an award scheme, its number of awards (two queries).

    ARS staff get a link to the list; a GHT director or an auditor reads the count only (the
    line's amounts are on the page), never the names behind them.
    """
    counts = selectors.award_counts_by_line(contract)
    can_open = user.has_perm(VIEW_PERMISSION)
    links = {}
    lines = contract.axes.values_list("lines__pk", "lines__scheme")
    for line_id, scheme in lines:
        if line_id is None or scheme not in AwardKind.values:
            continue
        count, _total = counts.get(line_id, (0, None))
        if not count and not can_open:
            continue
        label = (
            ngettext(
                "%(count)s attribution individuelle",
                "%(count)s attributions individuelles",
                count,
            )
            % {"count": count}
            if count
            else gettext("Attributions individuelles : aucune saisie")
        )
        url = reverse("calls:line_awards", kwargs={"line_pk": line_id}) if can_open else None
        links[line_id] = [LineLink(label, url)]
    return links
