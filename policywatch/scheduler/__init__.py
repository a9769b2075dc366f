"""`policywatch run`: the APScheduler daemon (one leader), its runners, job specs and alerts."""
