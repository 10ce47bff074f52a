"""What a person reads: progress lines, quiet Ray logs, Ctrl-C handling, error text."""
