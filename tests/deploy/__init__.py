"""Deployment: the container image (``Dockerfile``) and the Helm chart (``helm/asan``)."""
