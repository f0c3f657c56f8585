"""The scale-out suite: two of each web service behind HAProxy."""
