"""The portfolio-site naming styles, the ITD inventory and the generator's word pools."""

from __future__ import annotations

from typing import Any

# The column-naming styles of docs/demo-tenant.md, in the order portfolio sites rotate through.
STYLES: tuple[str, ...] = ("community", "finance", "planning")

DEPARTMENTS: list[str] = [
    "City Manager's Office",
    "Finance",
    "Information Technology",
    "Human Resources",
    "City Attorney's Office",
    "Police",
    "Fire",
    "Office of Emergency Management",
    "Library",
    "Parks, Recreation & Neighborhood Services",
    "Planning, Building & Code Enforcement",
    "Public Works",
    "Transportation",
    "Environmental Services",
    "Housing",
    "Airport",
]
DOC_TYPES: list[str] = [
    "Charter",
    "Charter Amendment",
    "Commitment Sign-off",
    "Acceptance Sign-off",
    "Status Report",
    "Lessons Learned",
    "Project Plan",
    "Vendor Contract",
    "Key Vendor Staff",
    "Other",
]
PHASES: list[str] = [
    "Initiation",
    "Chartering",
    "Procurement",
    "Execution",
    "Release",
    "Sustain",
    "Closed",
]
FINANCE_STAGES: list[str] = [
    "Initiate",
    "Charter",
    "Procure",
    "Execute",
    "Release",
    "Sustain",
    "Closed",
]
STATUS_BY_STYLE: dict[str, list[str]] = {
    "community": ["Green", "Yellow", "Red"],
    "finance": ["On Track", "At Risk", "Off Track"],
    "planning": ["G", "A", "R"],
}
# Procurement Planning Board priority as each site writes it, keyed by the canonical value.
PPB_BY_STYLE: dict[str, dict[str, str]] = {
    "community": {"High": "High", "Medium": "Medium", "Low": "Low"},
    "finance": {"High": "P1 - High", "Medium": "P2 - Medium", "Low": "P3 - Low"},
    "planning": {"High": "1", "Medium": "2", "Low": "3"},
}
METHODOLOGIES: list[str] = ["Waterfall", "Agile", "Hybrid"]
ASSET_TYPES: list[str] = ["Application", "Server", "Network", "Endpoint", "Cloud Service"]
LIFECYCLE: list[str] = ["Planned", "In Service", "Retiring", "Retired"]
EXECUTION = 3  # index of Execution in PHASES: charter and commitment sign-off required from here on
RELEASE = 4
CLOSED = 6


def _f(name: str, kind: str, **opts: Any) -> dict[str, Any]:
    return {"name": name, "kind": kind, **opts}


def _t(name: str, title: str, kind: str, **opts: Any) -> dict[str, Any]:
    return {"name": name, "title": title, "kind": kind, **opts}


def project_fields(style: str) -> list[dict[str, Any]]:
    """The custom fields of a style's project list, exactly as in demo.yaml."""
    if style == "community":
        return [
            _t("Project_x0020_Key", "Project Key", "Text", indexed=True),
            _t("Project_x0020_Manager", "Project Manager", "User"),
            _t("PPM_x0020_Is_x0020_Contract", "PPM Is Contract", "Boolean"),
            _t("Supervising_x0020_PPM", "Supervising PPM", "User"),
            _t("Product_x0020_Owner", "Product Owner", "User"),
            _f("Sponsor", "User"),
            _f("Departments", "MultiChoice", choices=list(DEPARTMENTS)),
            _f("Budget", "Currency"),
            _t("Start_x0020_Date", "Start Date", "DateTime", date_only=True),
            _t("Target_x0020_End", "Target End", "DateTime"),
            _f("Phase", "Choice", choices=list(PHASES)),
            _f("Status", "Choice", choices=list(STATUS_BY_STYLE["community"])),
            _t("Status_x0020_Date", "Status Date", "DateTime"),
            _f("Methodology", "Choice", choices=list(METHODOLOGIES)),
            _t("ITD_x0020_Liaison", "ITD Liaison", "User"),
            _t("High_x0020_Profile", "High Profile", "Boolean"),
            _t("Custom_x0020_Software", "Custom Software", "Boolean"),
            _f("Vendor", "Text"),
            _t("Project_x0020_Site", "Project Site", "URL"),
            _t("Portfolio_x0020_Area", "Portfolio Area", "TaxonomyFieldType"),
            _t("Governance_x0020_Body", "Governance Body", "Text"),
            _t("Metric_x0020_Goals", "Metric Goals", "Note"),
            _t(
                "PPB_x0020_Priority",
                "PPB Priority",
                "Choice",
                choices=list(PPB_BY_STYLE["community"].values()),
            ),
            _t("Key_x0020_Vendor_x0020_Staff", "Key Vendor Staff", "Note"),
            *AUDIT_FIELDS["community"],
        ]
    if style == "finance":
        return [
            _f("ProjectCode", "Text", indexed=True),
            _f("PPM", "User"),
            _f("ContractPPM", "Boolean"),
            _f("PPMSupervisor", "User"),
            _f("BusinessOwner", "User"),
            _f("ExecSponsor", "User"),
            _f("Depts", "Text"),
            _f("Cost", "Text"),
            _f("Kickoff", "DateTime"),
            _f("GoLive", "DateTime"),
            _f("Stage", "Choice", choices=list(FINANCE_STAGES)),
            _f("Health", "Choice", choices=list(STATUS_BY_STYLE["finance"])),
            _f("LastStatusUpdate", "DateTime"),
            _f("Approach", "Choice", choices=["Waterfall", "Agile"]),
            _f("Liaison", "User"),
            _f("Sensitive", "Boolean"),
            _f("Customized", "Boolean"),
            _f("VendorName", "Text"),
            _t("OData__Comments", "_Comments", "Note"),
            _f("SteeringCommittee", "Text"),
            _f("OKRs", "Note"),
            _f("PPBPriority", "Choice", choices=list(PPB_BY_STYLE["finance"].values())),
            _f("VendorKeyStaff", "Note"),
        ]
    if style == "planning":
        return [
            _f("Key", "Text", indexed=True),
            _f("ProjectManager", "User"),
            _f("Contractor", "Boolean"),
            _f("Supervisor", "User"),
            _f("Owner", "User"),
            _f("Sponsor", "User"),
            _f("Departments", "MultiChoice", choices=list(DEPARTMENTS)),
            _f("EstimatedCost", "Number"),
            _f("StartDate", "DateTime", date_only=True),
            _f("EndDate", "DateTime", date_only=True),
            _f("Phase", "Choice", choices=list(PHASES)),
            _f("RAG", "Choice", choices=list(STATUS_BY_STYLE["planning"])),
            _f("StatusAsOf", "DateTime", date_only=True),
            _f("Methodology", "Choice", choices=list(METHODOLOGIES)),
            _f("ITDLiaison", "User"),
            _f("HighProfile", "Boolean"),
            _f("CustomSoftware", "Boolean"),
            _f("Vendor", "Text"),
            _f("Governance", "Text"),
            _f("Metrics", "Note"),
            _f("PPBRank", "Choice", choices=list(PPB_BY_STYLE["planning"].values())),
            _f("KeyStaff", "Note"),
            *AUDIT_FIELDS["planning"],
        ]
    raise ValueError(f"unknown site style {style!r}; styles: {list(STYLES)}")


# Issue 15 (the audit in depth): the columns the shipped mappings read for project state and
# kind, stakeholders, key staff approval, vendor reviews, actual cost and actual end.
AUDIT_FIELDS: dict[str, list[dict[str, Any]]] = {
    "community": [
        _t(
            "Project_x0020_State",
            "Project State",
            "Choice",
            choices=["Active", "On hold", "Cancelled"],
        ),
        _t(
            "Project_x0020_Kind",
            "Project Kind",
            "Choice",
            choices=["System", "Upgrade", "Staffing", "O&M", "Study"],
        ),
        _f("Stakeholders", "Note"),
        _t("Key_x0020_Staff_x0020_Approved", "Key Staff Approved", "Boolean"),
        _t("Vendor_x0020_Reviewed", "Vendor Reviewed", "DateTime", date_only=True),
        _t("Actual_x0020_Cost", "Actual Cost", "Currency"),
        _t("Actual_x0020_End", "Actual End", "DateTime", date_only=True),
    ],
    "planning": [_f("ActualEnd", "DateTime", date_only=True)],
}
ACTUAL_END_FIELD: dict[str, str] = {"community": "Actual_x0020_End", "planning": "ActualEnd"}


def library_spec(style: str) -> dict[str, Any]:
    """Title, URL and custom fields of a style's document library (files added by the generator)."""
    if style == "community":
        fields = [_t("Document_x0020_Type", "Document Type", "Choice", choices=list(DOC_TYPES))]
        return {"title": "Project Documents", "template": 101, "fields": fields}
    if style == "finance":
        return {"title": "Documents", "template": 101, "url": "Shared Documents", "fields": []}
    if style == "planning":
        fields = [_f("ProjectKey", "Text"), _f("DocType", "Choice", choices=list(DOC_TYPES))]
        return {"title": "Project Documents", "template": 101, "fields": fields}
    raise ValueError(f"unknown site style {style!r}; styles: {list(STYLES)}")


PROJECT_LIST_TITLE: dict[str, str] = {
    "community": "Projects",
    "finance": "Project List",
    "planning": "Projects",
}
KEY_FIELD: dict[str, str] = {
    "community": "Project_x0020_Key",
    "finance": "ProjectCode",
    "planning": "Key",
}
HEALTH_FIELD: dict[str, str] = {"community": "Status", "finance": "Health", "planning": "RAG"}


def asset_fields() -> list[dict[str, Any]]:
    """The custom fields of the ITD site's IT Asset Inventory, exactly as in demo.yaml."""
    return [
        _f("AssetType", "Choice", choices=[*ASSET_TYPES, "Subscription"]),  # issue 15
        _f("Vendor", "Text"),
        _f("OwnerDepartment", "Choice", choices=list(DEPARTMENTS)),
        _f("AssetOwner", "User"),
        _f("LifecycleStage", "Choice", choices=list(LIFECYCLE)),
        _f("Acquired", "DateTime", date_only=True),
        _f("RenewalDate", "DateTime", date_only=True),
        _f("EndOfSupport", "DateTime", date_only=True),
        _f("AnnualCost", "Currency"),
        _f("LastReviewed", "DateTime", date_only=True),
        _f("RelatedProject", "Text"),
    ]


# -- pools -----------------------------------------------------------------------------------------

PORTFOLIO_AREAS: list[tuple[str, str]] = [
    ("community", "Community & Digital Services"),
    ("finance", "Finance & Administration"),
    ("planning", "Development Services & Public Safety"),
    ("public-safety", "Public Safety Technology"),
    ("transportation", "Transportation & Mobility"),
    ("environment", "Environment & Utilities"),
    ("library", "Libraries & Education"),
    ("parks", "Parks & Neighborhoods"),
    ("housing", "Housing & Homelessness"),
    ("airport", "Airport"),
    ("workforce", "People & Workforce"),
    ("infrastructure", "Infrastructure & Cloud"),
    ("data", "Data & Analytics"),
    ("engagement", "Resident Engagement"),
    ("public-works", "Public Works"),
    ("emergency", "Emergency Management"),
    ("economic", "Economic Development"),
    ("legal", "Legal & Compliance"),
    ("procurement", "Procurement & Contracts"),
    ("energy", "Community Energy"),
]
TAXONOMY_AREAS: list[tuple[str, str]] = [
    ("Resident Services", "3f0a1c52-7e1d-4c55-9a41-0c1d9f6b2a01"),
    ("Libraries & Digital Equity", "3f0a1c52-7e1d-4c55-9a41-0c1d9f6b2a02"),
    ("Data & Transparency", "3f0a1c52-7e1d-4c55-9a41-0c1d9f6b2a03"),
    ("Public Safety", "3f0a1c52-7e1d-4c55-9a41-0c1d9f6b2a04"),
    ("Enterprise Platforms", "3f0a1c52-7e1d-4c55-9a41-0c1d9f6b2a05"),
]
FIRST_NAMES: list[str] = (
    "Maria David James Priya Linh Rosa Kevin Karen Olivia Robert Angela Nicole Elena Sarah Thomas "
    "Daniel Laura Emily Marcus Jennifer Michael Aisha Carlos Mei Hannah Omar Sofia Ethan Grace "
    "Luis "
    "Anh Raj Fatima Diego Noah Ava Samuel Lucia Huong Arjun Isabel Mateo Leilani Tevita Farah Kenji"
).split() + ["José", "Zoë", "Chloé", "Renée", "Søren", "Ngọc", "Tomás", "Inés", "Andrés", "Björn"]
LAST_NAMES: list[str] = (
    "Lopez Nguyen Okafor Raman Tran Hernandez Cho Ito Bennett Kim Martinez Washington Vasquez "
    "Patel "
    "Wright Reyes Simmons Chen Johnson Alvarez Foster Garcia Singh Wong Pham Le Rodriguez Nakamura "
    "Kowalski Santos Castillo Huang Ahmed Brooks Flores Gupta Morales Tanaka Silva Dubois Jensen "
    "Park "
    "Rivera Torres Villanueva Yamamoto Ortiz Fitzgerald Ng Mendoza Delgado Khan Bui"
).split() + ["Ramírez", "Müller", "O'Brien", "Đặng", "Núñez", "Çelik", "Sánchez", "Ødegaard"]
SYSTEMS: list[str] = [
    "AMANDA",
    "Financial Management System",
    "Payroll",
    "Permitting",
    "Computer-Aided Dispatch",
    "Records Management",
    "Enterprise Asset Management",
    "Work Order",
    "Timekeeping",
    "Budget System",
    "Library ILS",
    "Recreation Registration",
    "Utility Billing",
    "Parking Citations",
    "Traffic Signal Management",
    "Fleet Management",
    "Document Management",
    "Case Management",
    "Grants Management",
    "Inspection Scheduling",
    "311 CRM",
    "GIS Platform",
    "Data Warehouse",
    "Network",
    "Public Wi-Fi",
    "Body-Worn Camera",
    "Evidence Management",
    "Airport Parking Revenue",
    "Housing Loan Servicing",
    "Code Enforcement Mobile",
    "Stormwater Asset",
    "Sewer Inspection",
    "Emergency Notification",
    "Council Agenda Management",
    "Meeting Streaming",
    "Procurement Portal",
    "Contract Management",
    "Security Operations Center",
    "Identity & Access Management",
    "Endpoint Management",
    "Data Center Cloud",
    "Digital Signage",
    "Open Data",
    "Public Records Request",
    "Business Tax Portal",
    "Treasury Cash Management",
    "Workers' Compensation Claims",
    "Election Kiosk",
]
VERBS: list[str] = [
    "Upgrade",
    "Replacement",
    "Implementation",
    "Modernization",
    "Refresh",
    "Expansion",
    "Migration",
    "Phase 2",
    "Rollout",
]
UNICODE_TITLES: list[str] = [
    "Biblioteca Móvil Outreach",
    "Tết Festival Permit Portal",
    "Café & Sidewalk Dining Permits",
    "Señalización de Tránsito Inventory",
    "Résumé Screening Tool",
    "Ciudad Única Language Access",
]
FORMULA_TITLES: list[str] = [
    '=HYPERLINK("x")',
    "=SUM(A1:A9) Budget Tracker",
    "+1 Call Back Pilot",
    "@Risk Register",
]
VENDORS: list[str] = [
    "Tyler Technologies",
    "Accela",
    "Granicus",
    "Oracle",
    "Microsoft",
    "Salesforce",
    "Esri",
    "Axon Enterprise",
    "Hexagon Safety & Infrastructure",
    "CGI Technologies and Solutions",
    "UKG",
    "Workday",
    "ServiceNow",
    "Cisco",
    "Presidio",
    "AssetWorks",
    "Five9",
    "Hyland",
    "OpenGov",
    "Motorola Solutions",
    "Deloitte Consulting",
    "Infor",
    "Origami Risk",
    "HdL Companies",
    "Cartegraph",
    "Trimble",
    "SHI International",
    "Insight Public Sector",
]
ASSET_NOUNS: dict[str, list[str]] = {
    "Application": [
        "Permitting",
        "Payroll",
        "Budget",
        "Work Orders",
        "Case Tracking",
        "Billing",
        "Scheduling",
    ],
    "Server": [
        "Database Cluster",
        "File Server",
        "Application Server",
        "CAD Server",
        "Backup Appliance",
    ],
    "Network": [
        "Core Switches",
        "Firewall Pair",
        "Wireless Controllers",
        "WAN Routers",
        "Fiber Ring",
    ],
    "Endpoint": ["Mobile Data Computers", "Kiosks", "Laptops", "Rugged Tablets", "Desk Phones"],
    "Cloud Service": ["Tenant", "Subscription", "SaaS Platform", "Portal", "Storage"],
}
OTHER_DOC_NAMES: list[str] = [
    "Meeting Notes",
    "Risk Register",
    "RFP Evaluation Summary",
    "Steering Committee Deck",
    "Budget Tracker",
    "Requirements Workbook",
    "Training Materials",
    "Data Conversion Checklist",
    "Intake Form",
]
