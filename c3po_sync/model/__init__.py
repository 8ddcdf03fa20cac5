"""The canonical model: table schemas and the bundle of tables passed between stages."""
