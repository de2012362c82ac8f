"""AWS behaviour that both ``ops/`` (the operator's command) and ``offline/`` (the emulator) must reproduce alike.

Standard library only, and nothing of the project: ``ops/`` and ``offline/`` may both import it, it imports neither,
so neither has to copy the other (``ops/`` imports nothing from ``offline/``, ``offline/`` nothing from ``ops/``).
"""
