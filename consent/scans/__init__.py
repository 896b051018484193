"""Site scans: the crawler behind a network fence, the signed report, stored scans and their
jobs (DESIGN.md "Contract: site scans and the cookie declaration")."""
