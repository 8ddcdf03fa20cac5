"""The sandbox's responses have the shapes real SharePoint Online sent (recorded by PnP Core)."""

from __future__ import annotations

import email
import json
import re

import requests

from tests.shared_fixtures import RECORDED, needs_recordings

pytestmark = needs_recordings
NOMETA = "application/json;odata=nometadata"
VERBOSE = "application/json;odata=verbose"
# Properties real SharePoint sends that the sandbox leaves out (see docs/sandbox-coverage.md).
NOT_EMULATED = {
    "ContentTypeId",
    "ServerRedirectedEmbedUri",
    "ServerRedirectedEmbedUrl",
    "ComplianceAssetId",
}


def recorded(name: str) -> dict:
    """One recorded response: status, headers and the raw body."""
    (path,) = RECORDED.glob(f"**/{name}.response.json")
    return json.loads(path.read_text(encoding="utf-8"))


def recorded_json(name: str) -> dict:
    return json.loads(recorded(name)["Response"])


def call(sandbox, method: str, path: str, accept: str = NOMETA, **kw) -> requests.Response:
    headers = {"Authorization": "Bearer t", "Accept": accept, "Content-Type": VERBOSE}
    headers.update(kw.pop("headers", {}))
    return requests.request(
        method, sandbox.url + "/sites/x/_api/" + path, headers=headers, timeout=10, **kw
    )


def jtype(value: object) -> str:
    return {
        dict: "object",
        list: "array",
        str: "string",
        bool: "bool",
        int: "number",
        float: "number",
    }.get(type(value), "null")


def same_types(ours: dict, theirs: dict) -> list[str]:
    """Properties both have whose JSON types differ (null on either side is compatible)."""
    return [
        f"{k}: ours {jtype(ours[k])}, SharePoint {jtype(theirs[k])}"
        for k in ours.keys() & theirs.keys()
        if None not in (ours[k], theirs[k]) and jtype(ours[k]) != jtype(theirs[k])
    ]


def test_items_page_nometadata(sandbox):
    theirs = recorded_json("RESTListItemPaging-0-00011")
    resp = call(sandbox, "GET", "Web/lists/GetByTitle('Tasks')/items?$top=2")
    assert resp.headers["Content-Type"].startswith("application/json;odata=nometadata")
    ours = resp.json()
    assert set(ours) == set(theirs) == {"value", "odata.nextLink"}
    pattern = (
        r"/_api/web/lists\(guid(%27|')[0-9a-f-]{36}(%27|')\)/items"
        r"\?%24skiptoken=Paged%3dTRUE%26p_ID%3d2&%24top=2"
    )
    assert re.search(pattern, theirs["odata.nextLink"], re.IGNORECASE)
    assert re.search(pattern, ours["odata.nextLink"], re.IGNORECASE)
    mine, real = ours["value"][0], theirs["value"][0]
    assert set(real) - set(mine) <= NOT_EMULATED
    assert same_types(mine, real) == []


def test_error_bodies_nometadata(sandbox):
    theirs = recorded_json("RestErrorLoggingOfFailingRequest-0-00002")
    resp = call(sandbox, "GET", "Web/lists/GetByTitle('nonexisting')")
    assert (
        resp.status_code
        == recorded("RestErrorLoggingOfFailingRequest-0-00002")["StatusCode"]
        == 404
    )
    ours = resp.json()
    assert ours.keys() == theirs.keys() == {"odata.error"}
    assert ours["odata.error"]["code"] == theirs["odata.error"]["code"]
    assert ours["odata.error"]["message"].keys() == theirs["odata.error"]["message"].keys()
    assert re.sub(r"'[^']*'", "''", ours["odata.error"]["message"]["value"]) == re.sub(
        r"'[^']*'", "''", theirs["odata.error"]["message"]["value"]
    )
    dup = recorded_json("ThrowSharePointRestServiceException-0-00003")
    resp = call(sandbox, "POST", "Web/lists", json={"Title": "Tasks", "BaseTemplate": 100})
    assert resp.status_code == 500
    assert resp.json() == dup


def test_error_code_format_verbose(sandbox):
    resp = call(
        sandbox, "GET", "Web/lists/GetByTitle('Tasks')/fields/getByTitle('Nope')", accept=VERBOSE
    )
    body = resp.json()
    assert set(body) == {"error"}
    assert re.fullmatch(r"-?\d+, [\w.]+", body["error"]["code"])
    assert body["error"]["message"]["lang"] == "en-US"


def test_list_entity_nometadata(sandbox):
    theirs = recorded_json("RESTListItemPaging-0-00003")
    ours = call(sandbox, "GET", "Web/lists/GetByTitle('Tasks')").json()
    assert set(ours) - {"ListItemEntityTypeFullName", "ItemCount"} <= set(theirs) | {"ParentWebUrl"}
    assert same_types(ours, theirs) == []
    assert set(ours["CurrentChangeToken"]) == set(theirs["CurrentChangeToken"]) == {"StringValue"}


def test_fields_nometadata(sandbox):
    theirs = recorded_json("RESTListItemPaging-0-00005")["Fields"][0]
    ours = call(sandbox, "GET", "Web/lists/GetByTitle('Tasks')/fields").json()["value"]
    assert set(theirs) <= set(ours[0])
    assert all(same_types(f, theirs) == [] for f in ours)


def test_get_changes_verbose(sandbox):
    theirs = recorded_json("GetListChangesTest-0-00003")["d"]["results"][0]
    lst = "Web/lists/GetByTitle('Tasks')"
    start = call(sandbox, "GET", lst + "?$select=CurrentChangeToken", accept=VERBOSE).json()
    token = start["d"]["CurrentChangeToken"]["StringValue"]
    call(sandbox, "POST", lst + "/items", json={"Title": "new"}, accept=VERBOSE)
    query = {"query": {"Item": True, "ChangeTokenStart": {"StringValue": token}}}
    ours = call(sandbox, "POST", lst + "/getChanges", json=query, accept=VERBOSE).json()["d"][
        "results"
    ][0]
    assert ours["__metadata"]["type"] == theirs["__metadata"]["type"] == "SP.ChangeItem"
    assert ours["ChangeToken"]["__metadata"] == theirs["ChangeToken"]["__metadata"]
    assert re.fullmatch(r"1;3;[0-9a-f-]{36};\d+;\d+", ours["ChangeToken"]["StringValue"])
    core = {"ChangeToken", "ChangeType", "SiteId", "Time", "ItemId", "ListId", "WebId", "UniqueId"}
    assert core <= set(theirs)
    assert core - {"UniqueId"} <= set(ours)
    assert same_types(ours, theirs) == []


def test_validate_update_nometadata(sandbox):
    theirs = recorded_json("SpecialFieldRestUpdateTest-0-00019")
    body = {"formValues": [{"FieldName": "Title", "FieldValue": "x"}], "bNewDocumentUpdate": False}
    resp = call(
        sandbox, "POST", "Web/lists/GetByTitle('Tasks')/items(1)/ValidateUpdateListItem", json=body
    )
    ours = resp.json()
    assert set(ours) == set(theirs) == {"value"}
    assert set(ours["value"][0]) == set(theirs["value"][0])
    assert same_types(ours["value"][0], theirs["value"][0]) == []


def _parts(content_type: str, body: bytes) -> list[tuple[int, dict]]:
    msg = email.message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    out = []
    for part in msg.get_payload():
        assert part.get_content_type() == "application/http"
        raw = part.get_payload(decode=True)
        head, _, payload = raw.partition(b"\r\n\r\n")
        status = int(re.match(rb"HTTP/1\.1 (\d{3}) ", head).group(1))
        out.append((status, json.loads(payload) if payload.strip() else {}))
    return out


def test_batch_response_layout(sandbox):
    theirs = recorded("RESTListItemPaging-0-00004")["Response"]
    assert theirs.startswith("--batchresponse_") and "\r\n\r\nHTTP/1.1 200 OK\r\n" in theirs
    boundary = "batch_1"
    part = (
        f"--{boundary}\r\nContent-Type: application/http\r\n"
        "Content-Transfer-Encoding: binary\r\n\r\n"
        "GET {url} HTTP/1.1\r\nAccept: application/json;odata=nometadata\r\n\r\n"
    )
    base = sandbox.url + "/sites/x/_api/Web/lists/GetByTitle('{t}')"
    body = (
        part.format(url=base.format(t="Tasks")) + part.format(url=base.format(t="Nope"))
    ) + f"--{boundary}--"
    resp = call(sandbox, "POST", "$batch", data=body.encode(),
                headers={"Content-Type": f"multipart/mixed; boundary={boundary}"})  # fmt: skip
    assert resp.status_code == 200
    assert resp.text.startswith("--batchresponse_")
    assert "\r\n\r\nHTTP/1.1 200 OK\r\n" in resp.text
    (ok_status, ok), (err_status, err) = _parts(resp.headers["Content-Type"], resp.content)
    assert (ok_status, err_status) == (200, 404)
    assert ok["Title"] == "Tasks"
    real_err = [
        p for p in _parts(*_recorded_batch("HandleBatchErrorsForLargeBatch-0-00009")) if p[0] == 404
    ]
    assert real_err and set(err) == set(real_err[0][1]) == {"odata.error"}


def _recorded_batch(name: str) -> tuple[str, bytes]:
    raw = recorded(name)["Response"]
    boundary = raw.split("\r\n", 1)[0][2:]
    return f"multipart/mixed; boundary={boundary}", raw.encode()
