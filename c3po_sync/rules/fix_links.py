"""Links to the fix: a finding about an item's data opens the item's edit form, not its page.

SharePoint's list forms sit beside each other in the list's folder (``DispForm.aspx``,
``EditForm.aspx``, ``NewForm.aspx``: the list's ``DefaultDisplayFormUrl`` and
``DefaultEditFormUrl``), so the reader's display link becomes the edit link by its leaf.
Links to documents and folders are left as they are.
"""

from __future__ import annotations

import pandas as pd

DISPLAY_FORM = r"/DispForm\.aspx\?ID=(\d+)$"


def edit_form_links(urls: pd.Series) -> pd.Series:
    """Each ``…/DispForm.aspx?ID=n`` as ``…/EditForm.aspx?ID=n``; any other value unchanged."""
    text = urls.astype("string")
    edited = text.str.replace(DISPLAY_FORM, r"/EditForm.aspx?ID=\1", regex=True, case=False)
    if urls.dtype == edited.dtype:
        return edited  # the findings frame's own dtype
    return edited.astype(object).where(urls.notna(), None)
