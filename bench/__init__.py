"""Fireside benchmarks: each prints a short table and writes JSON; none is a timed test."""
