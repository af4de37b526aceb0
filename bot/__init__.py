"""The Rasa assistant: domain, custom actions, input channels and the spaCy pipeline builder."""
