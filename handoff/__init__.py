"""Where every resident message is routed: the conversation state, the advisors' queue,
the opt-out register and the advisor console."""
