"""Opportunity pages. Every query starts from the visibility-scoped selectors, so a deal the
user may not see answers 404; every write goes through opportunities.services, which check
the write permission (a refused write answers the 403 page) and the stage rules, and the
pages only offer the controls accounts.access allows. The generic machinery (saving a form,
add/edit/delete, list filters, CSV) comes from core.pages.

- lists.py: the pipeline table and its CSV export;
- board.py: the pipeline board and the stage move (drag and drop, the card's stage menu);
- detail.py: the opportunity page and its escalations;
- edit.py: add, edit and delete.
"""

from .board import board, stage_move
from .detail import escalation_raise, escalation_resolve, opportunity_detail
from .edit import opportunity_create, opportunity_delete, opportunity_edit
from .lists import pipeline_export, pipeline_list

__all__ = [
    "board",
    "escalation_raise",
    "escalation_resolve",
    "opportunity_create",
    "opportunity_delete",
    "opportunity_detail",
    "opportunity_edit",
    "pipeline_export",
    "pipeline_list",
    "stage_move",
]
