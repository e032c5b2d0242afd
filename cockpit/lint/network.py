"""Provides the network rules: enforced inter-VLAN rules, management off VLAN 1, IoT isolated.

The firewall is read as a gateway applies it: rules in order, the first that matches a flow
decides, the default decides the rest. [firewall] is an optional fact: without it the policy is
not known (an older inventory simply does not say), so the firewall rules note what they could
not check. A lab whose VLANs really have no rules writes `default = "allow"`.
"""

from __future__ import annotations

from collections.abc import Iterator

from cockpit.lint.facts import MANAGEMENT_ROLES, NETWORK_PHASE, Facts
from cockpit.lint.finding import Hit, Rule
from cockpit.lint.words import join
from cockpit.models.inventory import Firewall, FirewallRule, Vlan

INTERNAL_PURPOSES = ("management", "trusted", "services", "other")


def _covers(rule: FirewallRule, source: int, destination: int) -> bool:
    return rule.source in ("any", source) and rule.destination in ("any", destination)


def reaches(firewall: Firewall, source: int, destination: int) -> bool:
    """Whether some traffic from one VLAN can reach another under this firewall."""
    for rule in firewall.rules:
        if not _covers(rule, source, destination):
            continue
        if rule.action == "allow":
            return True
        if not rule.ports:  # a deny on some ports leaves the others to later rules
            return False
    return firewall.default == "allow"


def _no_vlans(facts: Facts) -> str | None:
    return None if facts.inventory.vlans else "no [[vlans]]: the inter-VLAN firewall was not checked"


def _no_firewall(facts: Facts) -> str | None:
    if len(facts.inventory.vlans) < 2 or facts.inventory.firewall is not None:
        return None
    return "no [firewall]: whether traffic between the VLANs (IoT included) is enforced was not checked"


def _why_unenforced(firewall: Firewall) -> str | None:
    if firewall.default == "allow":
        return 'the firewall\'s default is "allow": every flow no rule names passes'
    for position, rule in enumerate(firewall.rules, start=1):
        if rule.action == "allow" and rule.source == rule.destination == "any" and not rule.ports:
            return f"firewall rule {position} allows any VLAN to any VLAN"
    return None


def _unenforced(facts: Facts) -> Iterator[Hit]:
    vlans, firewall = facts.inventory.vlans, facts.inventory.firewall
    if len(vlans) < 2 or firewall is None:
        return
    why = _why_unenforced(firewall)
    if why is None:
        return
    yield Hit(
        subject="firewall",
        subject_kind="firewall",
        message=f"{len(vlans)} VLANs are declared but {why}; the segmentation is cosmetic.",
        fix=(
            'Write [firewall] with default = "deny" and one allow rule per flow you need '
            "(for example Trusted to Services, Trusted to Management on 8006, 22 and 443)."
        ),
    )


VLANS_WITHOUT_RULES = Rule(
    id="vlans-without-rules",
    severity="error",
    principle="vlan-segmentation",
    quotes=(
        "Rejected. Cosmetic security with no enforcement. v3 implements explicit deny-all with allow rules.",
        "Default policy: Deny all inter-VLAN traffic. Explicit allow rules only.",
    ),
    phase=NETWORK_PHASE,
    summary="VLANs without enforced inter-VLAN rules, or a default that allows",
    check=_unenforced,
    gaps=(_no_vlans, _no_firewall),
)


def _management_on_vlan_1(facts: Facts) -> Iterator[Hit]:
    vlan_1 = [v for v in facts.inventory.vlans if v.purpose == "management" and v.id == 1]
    for vlan in vlan_1:
        yield Hit(
            subject=vlan.name,
            subject_kind="vlan",
            message=(
                f"The management network ({vlan.name}) is VLAN 1, the default untagged VLAN: any "
                "unconfigured port lands a device next to the hypervisors and the NAS."
            ),
            fix="Move management to a tagged VLAN of its own (VLAN 10 in the design) and leave VLAN 1 unused.",
        )
    if vlan_1:
        return  # the hosts move with the network; one finding says it
    for host in facts.hosts_with_role(*MANAGEMENT_ROLES):
        if host.vlan == 1:
            yield Hit(
                subject=host.name,
                subject_kind="host",
                message=f"{host.name} ({host.role}) is managed on VLAN 1, the default untagged VLAN.",
                fix=f"Give {host.name} its management address on the tagged Management VLAN (VLAN 10 in the design).",
            )


MANAGEMENT_ON_VLAN_1 = Rule(
    id="management-on-vlan-1",
    severity="error",
    principle="vlan-segmentation",
    quotes=("VLAN 1 is intentionally not used for management.",),
    phase=NETWORK_PHASE,
    summary="management on VLAN 1",
    check=_management_on_vlan_1,
)


def _label(vlan: Vlan) -> str:
    return f"VLAN {vlan.id} ({vlan.name})"


def _iot_reaches_internal(facts: Facts) -> Iterator[Hit]:
    vlans, firewall = facts.inventory.vlans, facts.inventory.firewall
    if firewall is None:
        return
    internal = [v for v in vlans if v.purpose in INTERNAL_PURPOSES]
    for iot in (v for v in vlans if v.purpose == "iot"):
        reached = [v for v in internal if reaches(firewall, iot.id, v.id)]
        if not reached:
            continue
        yield Hit(
            subject=iot.name,
            subject_kind="vlan",
            message=(
                f"The IoT network {_label(iot)} can reach {join(_label(v) for v in reached)}: a "
                "compromised device could move sideways to internal services."
            ),
            fix=(
                f'Deny VLAN {iot.id} to any internal VLAN (a rule from = {iot.id}, to = "any", '
                'action = "deny" after its internet allow); let it reach the internet only.'
            ),
        )


IOT_REACHES_INTERNAL = Rule(
    id="iot-reaches-internal",
    severity="error",
    principle="vlan-segmentation",
    quotes=(
        "IoT \u2192 any internal VLAN (full isolation)",
        "Smart home devices, printers\u2014internet-only access",
    ),
    phase=NETWORK_PHASE,
    summary="IoT allowed into an internal VLAN",
    check=_iot_reaches_internal,
    gaps=(_no_vlans, _no_firewall),
)

RULES = (VLANS_WITHOUT_RULES, MANAGEMENT_ON_VLAN_1, IOT_REACHES_INTERNAL)
