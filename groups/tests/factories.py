from groups import services
from groups.models import GroupKind
from members.tests.factories import UserFactory

_counter = {"n": 0}


def make_group(*, kind=GroupKind.OPEN, hosts=None, **kwargs):
    _counter["n"] += 1
    n = _counter["n"]
    return services.group_create(
        name=kwargs.pop("name", f"Group {n}"),
        slug=kwargs.pop("slug", f"group-{n}"),
        purpose=kwargs.pop("purpose", "Talking about **loneliness**."),
        kind=kind,
        hosts=hosts if hosts is not None else [UserFactory()],
        **kwargs,
    )


def make_member(group, user=None):
    user = user or UserFactory()
    if group.kind == GroupKind.OPEN:
        services.group_join(user=user, group=group)
    else:
        host = group.memberships.filter(role="host").first().user
        services.group_invite(actor=host, group=group, user=user)
        services.group_join(user=user, group=group)
    return user


def make_thread(group, author=None, **kwargs):
    author = author or make_member(group)
    return services.thread_create(
        author=author,
        group=group,
        title=kwargs.pop("title", "How do you reach young people?"),
        body=kwargs.pop("body", "We run a drop-in on Thursdays."),
        **kwargs,
    )
