"""orderwatch's console: the agents' keyboard view of the order desk.

It reads the store the daemon keeps, a page at a time, and writes only agents' actions.
"""
