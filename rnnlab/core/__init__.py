"""The foundation every stage runs on: errors, the params schema, files, paths, model folders."""
