"""Demo data for joining: applications waiting for a coordinator, requests to join an
organisation, invitations. Called at the end of ``members.demo.seed``."""


def seed(ctx):
    pass
