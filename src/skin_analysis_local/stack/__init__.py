"""The local stack: template.yaml deployed into moto, real handlers in warm workers, all on loopback.

Never imported by Lambda code; `skin-analysis local up` (local_cli.py) is the entry point.
"""
