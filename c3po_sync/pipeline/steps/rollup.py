"""Rollup: the Excel workbook, saved locally and uploaded to the hub's Rollups library."""

from __future__ import annotations

from datetime import datetime

from c3po_sync.pipeline.context import RunContext
from c3po_sync.sinks.excel_rollup import build_rollup, save_rollup


def run_rollup(ctx: RunContext) -> None:
    result = ctx.result
    settings = ctx.inputs.settings
    run_info = {
        "run_id": result.run_id,
        "job": result.job,
        "generated_at": datetime.now(ctx.tz).isoformat(timespec="minutes"),
        "sites_read": len(result.sites),
        "items_read": result.items_read,
    }
    wb = build_rollup(
        ctx.current_tables(), ctx.findings_history(), today=ctx.inputs.today, run_info=run_info
    )
    if ctx.dry_run:
        return
    out_dir = settings.resolve(settings.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = save_rollup(wb, out_dir, today=ctx.inputs.today)
    result.workbook = path
    result.uploaded_to = ctx.ports.file_sink.upload(
        settings.rollups_library, path.name, path.read_bytes()
    )
