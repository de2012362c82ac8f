"""Offline stand-ins for what AWS runs and moto does not: the pieces the project's tests and local emulator use."""
