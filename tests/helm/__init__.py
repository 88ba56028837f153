"""Tests of the Helm chart in helm/autopilot-gateway."""
