"""Test support that the tests, the benchmark scripts and the GPU check share: tiny same-architecture models built
on the spot, and local servers. Never imported by the app itself."""
