"""The newsletter's part of the demo network: subscribers, then a few past issues."""


def seed(ctx):
    from newsletter import demo_issues, demo_subscribers

    demo_subscribers.seed(ctx)
    demo_issues.seed(ctx)
