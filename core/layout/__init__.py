"""What document parsers return, parsed onto the original page, and how it is scored against ground truth."""
