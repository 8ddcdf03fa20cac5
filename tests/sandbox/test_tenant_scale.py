"""A city-scale generated tenant loads quickly, with file content made only when read."""

from __future__ import annotations

import pytest

from c3po_sync.sandbox.generate import generate_tenant
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.model_files import generated_content


@pytest.mark.slow
def test_city_scale_tenant_loads_with_lazy_content():
    data = generate_tenant(1, sites=20, projects=2000, documents_per_project=25, assets=5000)
    tenant = Tenant.from_dict(data)

    declared = {
        (s["url"].lower(), lst["title"].lower()): len(lst.get("items") or [])
        + len(lst.get("files") or [])
        for s in data["sites"]
        for lst in s.get("lists") or []
    }
    files = [
        (s, lst, f)
        for s in data["sites"]
        for lst in s.get("lists") or []
        for f in lst.get("files") or []
    ]
    assert len(tenant.sites) == len(data["sites"])
    assert len(tenant.users) == len(data["users"]) + 1  # + the app principal
    assert len(files) >= 40_000
    for (site_url, title), n in declared.items():
        lst = tenant.sites[site_url].lists[title]
        rows = [it for it in lst.items.values() if it.fs_obj_type == 0]
        assert len(rows) == n, (site_url, title)
    blobs = [
        it.file
        for site in tenant.sites.values()
        for lst in site.lists.values()
        for it in lst.items.values()
        if it.file is not None
    ]
    assert len(blobs) == len(files)
    assert sum(b.generated for b in blobs) == sum(
        1 for *_x, f in files if "content" not in f and "content_base64" not in f
    )

    site_data, lst_data, f = files[-1]
    site = tenant.sites[site_data["url"].lower()]
    lib = site.lists[lst_data["title"].lower()]
    _lst, item = site.file(f"{lib.root_folder}/{f['path']}")
    if "content" not in f and "content_base64" not in f:
        assert item.file.content == generated_content(f["path"].strip("/"), int(f.get("size", 0)))
    assert item.file.size == len(item.file.content)
