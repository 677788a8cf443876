"""Source connectors: pull tickets, incidents, timesheets and project data into DuckDB."""
