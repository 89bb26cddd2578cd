"""Staff accounts: sign-in, administration and passwords."""
