"""Cognito offline: user pools and clients (:mod:`.resources`) and the sign-in API the agent console calls
(:mod:`.signin`), answered by moto's cognito-idp."""
