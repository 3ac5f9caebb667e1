"""Account pages. Every query starts from the visibility-scoped selectors, so an account (or
anything on it) the user may not see answers 404; every write goes through accounts.services,
which check the write permission (a refused write answers the 403 page), and the pages only
offer the controls accounts.access allows. The generic machinery (saving a form, the
add/edit/delete views, list filters, CSV) comes from core.pages.

- lists.py: the accounts list (the AM's worklist) and its CSV export;
- renewals.py: the agreements by renewal status (due first) and their CSV export;
- detail.py: the account page;
- edit.py: the account's create and edit forms;
- catalogues.py: the sectors, industries, territories and products ops manage;
- objects.py: agreements, deployments and the virtual team on the account page.
"""

from .catalogues import catalogue_create, catalogue_edit, catalogue_list
from .detail import account_detail
from .edit import account_create, account_edit
from .lists import account_export, account_list
from .objects import (
    agreement_create,
    agreement_delete,
    agreement_edit,
    deployment_create,
    deployment_delete,
    deployment_edit,
    team_card,
    team_member_create,
    team_member_delete,
    team_member_edit,
)
from .pickers import pick_account, pick_member, pick_owner
from .renewals import renewal_export, renewal_list

__all__ = [
    "account_create",
    "account_detail",
    "account_edit",
    "account_export",
    "account_list",
    "agreement_create",
    "catalogue_create",
    "catalogue_edit",
    "catalogue_list",
    "agreement_delete",
    "agreement_edit",
    "deployment_create",
    "deployment_delete",
    "deployment_edit",
    "pick_account",
    "pick_member",
    "pick_owner",
    "renewal_export",
    "renewal_list",
    "team_card",
    "team_member_create",
    "team_member_delete",
    "team_member_edit",
]
