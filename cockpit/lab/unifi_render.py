"""Provides the UniFi simulator's renderings of one configuration snapshot, as the console's APIs answer.

- `networkconf`: the classic `rest/networkconf` records (Default LAN untagged; the VLANs with
  `vlan_enabled` and an int `vlan`; `ip_subnet` written gateway/prefix; one WAN).
- `firewall_groups` and `firewall_rules`: the legacy LAN_IN rule set as a UDM is set up by hand:
  allow established/related, drop invalid, the explicit allows (TCP ports through a port group),
  then a drop from the RFC1918 address group to itself; the internet stays reachable.
- `zones` and `policies`: the zone-based firewall of Network 9 expressing the same policy: every LAN
  in the Internal zone, custom ALLOW policies from network to network, then a custom BLOCK
  Internal -> Internal; after them the predefined zone matrix (read-only, `predefined: true`).
- `integration_networks`: the official Integration API's network objects.

Every rendering is a pure function of a Snapshot, so all of them agree at any instant.
"""

from __future__ import annotations

import uuid
from typing import Any

from cockpit.lab.unifi_state import INTERNET, SITE_ID, SimFlow, SimNetwork, Snapshot, object_id

WAN_ID = object_id(2, 1)
RFC1918_GROUP_ID = object_id(3, 1)
RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
CUSTOM_POLICY_INDEX = 10000
PREDEFINED_POLICY_INDEX = 30000
ZONES = ("internal", "external", "gateway", "vpn", "hotspot", "dmz")

# The predefined zone matrix (source, destination, action): what the console does without custom policies.
ZONE_MATRIX = (
    ("internal", "internal", "ALLOW"),
    ("internal", "external", "ALLOW"),
    ("internal", "gateway", "ALLOW"),
    ("internal", "vpn", "ALLOW"),
    ("internal", "dmz", "ALLOW"),
    ("internal", "hotspot", "ALLOW"),
    ("external", "internal", "BLOCK"),
    ("external", "gateway", "BLOCK"),
    ("vpn", "internal", "ALLOW"),
    ("hotspot", "internal", "BLOCK"),
    ("hotspot", "external", "ALLOW"),
    ("dmz", "internal", "BLOCK"),
    ("dmz", "external", "ALLOW"),
)


def zone_id(key: str) -> str:
    return object_id(5, ZONES.index(key) + 1)


def integration_id(object_id_: str) -> str:
    """The Integration API names objects by UUID, not by the classic ObjectId."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"unifi-lab/{object_id_}"))


# -- classic: networkconf -------------------------------------------------------------------------


def _lan(network: SimNetwork) -> dict[str, Any]:
    gateway = network.interface.split("/")[0]
    base = gateway.rsplit(".", 1)[0]
    record: dict[str, Any] = {
        "_id": network.id,
        "site_id": SITE_ID,
        "name": network.name,
        "purpose": network.purpose,
        "networkgroup": "LAN",
        "enabled": True,
        "ip_subnet": network.interface,
        "vlan_enabled": not network.untagged,
        "dhcpd_enabled": True,
        "dhcpd_start": f"{base}.6",
        "dhcpd_stop": f"{base}.254",
        "dhcpd_leasetime": 86400,
        "domain_name": "",
        "is_nat": True,
        "igmp_snooping": False,
        "ipv6_interface_type": "none",
        "setting_preference": "manual",
        "firewall_zone_id": zone_id("internal"),
    }
    if network.untagged:
        record.update(attr_hidden_id="LAN", attr_no_delete=True)
    else:
        record["vlan"] = network.vlan
    return record


WAN_RECORD: dict[str, Any] = {
    "_id": WAN_ID,
    "site_id": SITE_ID,
    "name": "Internet 1",
    "purpose": "wan",
    "wan_networkgroup": "WAN",
    "wan_type": "dhcp",
    "wan_type_v6": "disabled",
    "enabled": True,
    "attr_hidden_id": "WAN",
    "attr_no_delete": True,
    "setting_preference": "auto",
    "firewall_zone_id": zone_id("external"),
}


def networkconf(snapshot: Snapshot) -> list[dict[str, Any]]:
    return [_lan(n) for n in snapshot.networks] + [dict(WAN_RECORD)]


# -- classic: legacy firewall rules and groups ------------------------------------------------------


def _port_sets(snapshot: Snapshot) -> list[tuple[int, ...]]:
    seen: list[tuple[int, ...]] = []
    for flow in snapshot.allows:
        if flow.ports and flow.ports not in seen:
            seen.append(flow.ports)
    return seen


def _port_group_id(snapshot: Snapshot, ports: tuple[int, ...]) -> str:
    return object_id(3, 100 + _port_sets(snapshot).index(ports))


def firewall_groups(snapshot: Snapshot) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = [
        {
            "_id": RFC1918_GROUP_ID,
            "site_id": SITE_ID,
            "name": "RFC1918",
            "group_type": "address-group",
            "group_members": list(RFC1918),
        }
    ]
    for ports in _port_sets(snapshot):
        groups.append(
            {
                "_id": _port_group_id(snapshot, ports),
                "site_id": SITE_ID,
                "name": "Ports " + ",".join(map(str, ports)),
                "group_type": "port-group",
                "group_members": [str(p) for p in ports],
            }
        )
    return groups


def _rule(name: str, action: str, **fields: Any) -> dict[str, Any]:
    """A LAN_IN rule with every field the Network application returns, matching any traffic unless told."""
    rule: dict[str, Any] = {
        "site_id": SITE_ID,
        "name": name,
        "enabled": True,
        "ruleset": "LAN_IN",
        "action": action,
        "protocol": "all",
        "protocol_match_excepted": False,
        "logging": False,
        "state_new": False,
        "state_established": False,
        "state_related": False,
        "state_invalid": False,
        "ipsec": "",
        "src_firewallgroup_ids": [],
        "src_mac_address": "",
        "src_address": "",
        "src_networkconf_id": "",
        "src_networkconf_type": "NETv4",
        "dst_firewallgroup_ids": [],
        "dst_address": "",
        "dst_networkconf_id": "",
        "dst_networkconf_type": "NETv4",
        "dst_port": "",
        "icmp_typename": "",
        "setting_preference": "manual",
    }
    rule.update(fields)
    return rule


def _allow_rule(snapshot: Snapshot, flow: SimFlow) -> dict[str, Any]:
    fields: dict[str, Any] = {"src_networkconf_id": flow.source}
    if flow.destination != INTERNET:
        fields["dst_networkconf_id"] = flow.destination
    if flow.ports:
        fields.update(protocol="tcp", dst_firewallgroup_ids=[_port_group_id(snapshot, flow.ports)])
    return _rule(flow.name, "accept", **fields)


def firewall_rules(snapshot: Snapshot) -> list[dict[str, Any]]:
    rules = [
        _rule("Allow established and related", "accept", state_established=True, state_related=True),
        _rule("Drop invalid state", "drop", state_invalid=True),
    ]
    rules += [_allow_rule(snapshot, flow) for flow in snapshot.allows]
    if snapshot.default_drop:
        groups = [RFC1918_GROUP_ID]
        rules.append(
            _rule(
                "Drop inter-VLAN traffic", "drop", src_firewallgroup_ids=groups, dst_firewallgroup_ids=groups
            )
        )
    for index, rule in enumerate(rules):
        rule.update(_id=object_id(4, index + 1), rule_index=2000 + index)
    return rules


# -- v2: zone-based firewall ------------------------------------------------------------------------


def zones(snapshot: Snapshot) -> list[dict[str, Any]]:
    members = {"internal": [n.id for n in snapshot.networks], "external": [WAN_ID]}
    return [
        {
            "_id": zone_id(key),
            "name": key.capitalize() if key != "vpn" else "VPN",
            "zone_key": key,
            "default_zone": True,
            "attr_no_edit": True,
            "network_ids": members.get(key, []),
        }
        for key in ZONES
    ]


def _endpoint(zone: str, network_id: str | None = None, ports: tuple[int, ...] = ()) -> dict[str, Any]:
    endpoint: dict[str, Any] = {
        "zone_id": zone_id(zone),
        "matching_target": "ANY",
        "match_opposite_ports": False,
    }
    if network_id is not None:
        endpoint.update(
            matching_target="NETWORK",
            matching_target_type="OBJECT",
            network_ids=[network_id],
            match_opposite_networks=False,
        )
    if ports:
        endpoint.update(port_matching_type="SPECIFIC", port=",".join(map(str, ports)))
    else:
        endpoint["port_matching_type"] = "ANY"
    return endpoint


def _policy(
    name: str, action: str, source: dict[str, Any], destination: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "name": name,
        "enabled": True,
        "action": action,
        "predefined": False,
        "protocol": "all",
        "ip_version": "BOTH",
        "connection_state_type": "ALL",
        "connection_states": [],
        "create_allow_respond": action == "ALLOW",
        "logging": False,
        "match_ip_sec": False,
        "match_opposite_protocol": False,
        "icmp_typename": "ANY",
        "icmp_v6_typename": "ANY",
        "description": "",
        "schedule": {"mode": "ALWAYS"},
        "source": source,
        "destination": destination,
    }
    policy.update(fields)
    return policy


def _custom_policies(snapshot: Snapshot) -> list[dict[str, Any]]:
    custom = []
    for flow in snapshot.allows:
        source = _endpoint("internal", flow.source)
        if flow.destination == INTERNET:
            destination = _endpoint("external", ports=flow.ports)
        else:
            destination = _endpoint("internal", flow.destination, flow.ports)
        protocol = "tcp" if flow.ports else "all"
        custom.append(_policy(flow.name, "ALLOW", source, destination, protocol=protocol))
    if snapshot.default_drop:
        custom.append(
            _policy("Block inter-VLAN traffic", "BLOCK", _endpoint("internal"), _endpoint("internal"))
        )
    return custom


def _predefined_policies() -> list[dict[str, Any]]:
    predefined = []
    for source, destination, action in ZONE_MATRIX:
        if action == "BLOCK":  # the console lets replies back in ahead of a zone pair's block
            predefined.append(
                _policy(
                    "Allow Return Traffic",
                    "ALLOW",
                    _endpoint(source),
                    _endpoint(destination),
                    predefined=True,
                    connection_state_type="RESPOND_ONLY",
                    connection_states=["ESTABLISHED", "RELATED"],
                    create_allow_respond=False,
                )
            )
        name = "Allow All Traffic" if action == "ALLOW" else "Block All Traffic"
        predefined.append(
            _policy(
                name,
                action,
                _endpoint(source),
                _endpoint(destination),
                predefined=True,
                create_allow_respond=False,
            )
        )
    return predefined


def policies(snapshot: Snapshot) -> list[dict[str, Any]]:
    custom = _custom_policies(snapshot)
    predefined = _predefined_policies()
    for index, policy in enumerate(custom):
        policy.update(_id=object_id(6, index + 1), index=CUSTOM_POLICY_INDEX + index)
    for index, policy in enumerate(predefined):
        policy.update(_id=object_id(7, index + 1), index=PREDEFINED_POLICY_INDEX + index)
    return custom + predefined


# -- the Integration API ----------------------------------------------------------------------------


def integration_networks(snapshot: Snapshot) -> list[dict[str, Any]]:
    return [
        {
            "id": integration_id(n.id),
            "name": n.name,
            "enabled": True,
            "management": "GATEWAY",
            "vlanId": 1 if n.untagged else n.vlan,
        }
        for n in snapshot.networks
    ]
