"""Comprehend offline, and Translate beside it (one throttle and one usage count serve both, as the workflows
call them together): :mod:`.language`. Neither has a Terraform resource."""
