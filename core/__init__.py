"""What every layer shares: settings, Flask extensions, CLI wiring. Imports nothing of ours."""
