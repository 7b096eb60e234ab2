"""Data protection: retention and destruction, access log, Art. 15 export, file audits, backup."""
