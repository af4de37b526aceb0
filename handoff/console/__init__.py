"""The advisor console: sign-in, queue, conversations, callbacks, team and admin."""
