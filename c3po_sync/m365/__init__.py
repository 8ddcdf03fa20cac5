"""m365 stage."""
