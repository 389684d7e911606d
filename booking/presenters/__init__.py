"""Turn domain results into what pages and downloads show: tables, charts, CSV."""
