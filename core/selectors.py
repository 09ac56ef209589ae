from members.models import MembershipStatus, Organisation, User


def home_figures() -> dict:
    """The few numbers the home page shows (two queries)."""
    return {
        "organisations": Organisation.objects.filter(status=MembershipStatus.ACTIVE).count(),
        "members": User.objects.filter(status=MembershipStatus.ACTIVE, is_active=True).count(),
    }
