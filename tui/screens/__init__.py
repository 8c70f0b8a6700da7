"""The console's screens: one per view, plus order detail, find and help."""
