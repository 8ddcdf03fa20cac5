"""C3PO Sync: SharePoint project portfolios checked against the 2019 Technology Deployments Audit."""

__version__ = "0.1.0"
