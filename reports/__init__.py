"""KPIs over conversations, tickets, ratings and opt-outs, and the console reports views."""
