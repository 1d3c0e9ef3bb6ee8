"""Deployment of the store to LocalStack or AWS (`python -m infra.deploy --help`)."""
