"""C3PO Sync: SharePoint project portfolios checked against the 2019 IT audit."""

__version__ = "0.1.0"
