"""The edges: database repository, files, Drive, mail, spreadsheets, notifications, round files."""
