"""Domain operations as verb functions, one transaction each."""
