"""Roles and the permissions they grant. Services check permissions, never roles."""
ALL = "*"

ROLE_PERMISSIONS = {
    "admin": frozenset({ALL}),
    "manager": frozenset({
        "clients.read", "clients.write", "clients.delete", "clients.configure",
        "payments.modify", "users.read", "settings.read",
        "tasks.read", "tasks.write", "tasks.configure",
        "invoicing.read", "invoicing.write", "invoicing.configure",
        "scheduling.read", "scheduling.write", "scheduling.configure",
        "communications.read", "communications.write", "communications.configure",
        "payments.read", "payments.write", "payments.configure",
    }),
    "staff": frozenset({"clients.read", "clients.write", "users.read", "settings.read",
                        "tasks.read", "tasks.write", "invoicing.read", "invoicing.write",
                        "scheduling.read", "scheduling.write",
                        "communications.read", "communications.write",
                        "payments.read", "payments.write"}),
}
ROLES = tuple(ROLE_PERMISSIONS)


def permissions_for(roles):
    granted = set()
    for role in roles or ():
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def has(permissions, permission):
    return ALL in permissions or permission in permissions
