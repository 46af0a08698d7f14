"""Exports: CSV files a clinic opens in a spreadsheet, and FHIR R4 for EMRs and registries."""
