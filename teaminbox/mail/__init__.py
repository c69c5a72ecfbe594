"""Reading mail for display: headers, part bodies, plain text, safe HTML, file names."""
