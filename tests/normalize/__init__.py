"""Tests of the normalize stage."""
