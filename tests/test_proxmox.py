"""The Proxmox VE adapter, proxmoxer itself and the proxmox.* evaluators against the simulator over loopback TLS.

One simulator serves the module (ephemeral port, so xdist-safe); each test starts from a reset
world, cleared faults and a short auth-failure delay. Raw `requests` calls check the wire shapes
(reason phrases, bodies, content type) where the adapter would hide them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from proxmoxer import ProxmoxAPI, ResourceException
from proxmoxer.tools import Tasks

from cockpit import netguard
from cockpit.adapters.errors import (
    AuthFailed,
    BadRequest,
    Conflict,
    MalformedResponse,
    NotFound,
    ServerError,
    Timeout,
    Unreachable,
    Unsupported,
)
from cockpit.adapters.proxmox import Guest, ProxmoxClient, TlsError, parse_zpool, resource_error
from cockpit.checks import proxmox as checks
from cockpit.checks.context import CheckContext
from cockpit.checks.runner import evaluate as engine_evaluate
from cockpit.lab import catalog
from cockpit.lab.faults import Faults
from cockpit.lab.proxmox import DEFAULT_TOKEN_SECRET, ProxmoxSim
from cockpit.lab.proxmox_routes import ROUTES
from cockpit.lab.proxmox_world import ProxmoxWorld
from cockpit.lab.tls import make_certificate
from cockpit.project import load_project

SECRET = DEFAULT_TOKEN_SECRET
TOKEN = catalog.PROXMOX_TOKEN_ID
FAST_AUTH_FAILURE = 0.02
PRIMARY, SECONDARY = catalog.NODES[0].name, catalog.NODES[1].name
APIDATA = Path("/work/shared/specs/proxmox/apidata.js")


# -- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab_faults() -> Faults:
    return Faults()


@pytest.fixture(scope="module")
def shared_sim(lab_faults: Faults, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxmoxSim]:
    sim = ProxmoxSim(
        lab_faults,
        directory=tmp_path_factory.mktemp("pve"),
        task_seconds=0.05,
        auth_failure_delay=FAST_AUTH_FAILURE,
    )
    with sim:
        yield sim


@pytest.fixture
def sim(shared_sim: ProxmoxSim, lab_faults: Faults) -> Iterator[ProxmoxSim]:
    """The module's simulator, back at the lab's starting point."""
    lab_faults.clear()
    shared_sim.reset()
    shared_sim.auth_failure_delay = FAST_AUTH_FAILURE
    shared_sim.world.task_seconds = 0.05
    shared_sim.world.version = "9.0.3"
    yield shared_sim
    lab_faults.clear()


def make_client(sim: ProxmoxSim, **options: Any) -> ProxmoxClient:
    options.setdefault("fingerprint", sim.fingerprint)
    options.setdefault("poll_interval", 0.02)
    options.setdefault("timeout", 5.0)
    secret = options.pop("secret", SECRET)
    return ProxmoxClient(sim.url, TOKEN, secret, **options)


@pytest.fixture
def client(sim: ProxmoxSim) -> Iterator[ProxmoxClient]:
    with make_client(sim) as pve:
        yield pve


def raw(sim: ProxmoxSim, method: str, path: str, token: str | None = SECRET, **kw: Any) -> requests.Response:
    """One call on the wire, the certificate verified against the simulator's own."""
    headers = {"Authorization": f"PVEAPIToken={TOKEN}={token}"} if token else {}
    return requests.request(
        method, f"{sim.url}/api2/json{path}", headers=headers, verify=str(sim.cert_file), **kw
    )


def guest(name: str) -> Guest:
    spec = next(g for g in catalog.GUESTS if g.name == name)
    return Guest(vmid=spec.vmid, name=spec.name, node=spec.node, kind=spec.kind, status="unknown")  # type: ignore[arg-type]


# -- the wire: envelope, reason phrases, bodies ------------------------------------------------


def test_success_is_compact_data_envelope_with_pve_content_type(sim: ProxmoxSim) -> None:
    response = raw(sim, "GET", "/version")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert response.content == b'{"data":{"release":"9.0","repoid":"025864202ebb6109","version":"9.0.3"}}'


@pytest.mark.parametrize(
    ("method", "path", "data", "status", "reason", "errors"),
    [
        (
            "GET",
            f"/nodes/{PRIMARY}/qemu/999/status/current",
            None,
            500,
            f"Configuration file 'nodes/{PRIMARY}/qemu-server/999.conf' does not exist",
            None,
        ),
        ("GET", "/x", None, 501, "Method 'GET /x' not implemented", None),
        ("DELETE", "/version", None, 501, "Method 'DELETE /version' not implemented", None),
        (
            "POST",
            f"/nodes/{PRIMARY}/qemu/101/snapshot",
            {},
            400,
            "Parameter verification failed.",
            {"snapname": "property is missing and it is not optional"},
        ),
        (
            "POST",
            f"/nodes/{PRIMARY}/qemu/101/status/shutdown",
            {"forceStop": "True"},  # what proxmoxer sends for Python's True
            400,
            "Parameter verification failed.",
            {"forceStop": "type check ('boolean') failed - got 'True'"},
        ),
        (
            "GET",
            f"/nodes/{PRIMARY}/lxc?full=1",  # full is a qemu parameter only
            None,
            400,
            "Parameter verification failed.",
            {"full": "property is not defined in schema and the schema does not allow additional properties"},
        ),
        (
            "GET",
            f"/nodes/{PRIMARY}/qemu/abc/status/current",
            None,
            400,
            "Parameter verification failed.",
            {"vmid": "type check ('integer') failed - got 'abc'"},
        ),
        ("POST", f"/nodes/{PRIMARY}/lxc/103/status/start", {}, 500, "CT 103 already running", None),
        (
            "GET",
            "/nodes/nope/status",
            None,
            500,
            "hostname lookup 'nope' failed - failed to get address info for: nope: Name or service not known",
            None,
        ),
    ],
)
def test_errors_put_the_message_in_the_reason_phrase_and_the_body(
    sim: ProxmoxSim, method: str, path: str, data: Any, status: int, reason: str, errors: Any
) -> None:
    response = raw(sim, method, path, data=data)
    assert (response.status_code, response.reason) == (status, reason)
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    expected: dict[str, Any] = {"data": None, "message": reason + "\n"}
    if errors:
        expected["errors"] = errors
    assert response.json() == expected


def test_a_json_body_is_taken_as_well_as_a_form(sim: ProxmoxSim) -> None:
    response = raw(
        sim, "POST", f"/nodes/{PRIMARY}/qemu/101/status/shutdown", json={"forceStop": True, "timeout": 5}
    )
    assert response.status_code == 200 and response.json()["data"].startswith("UPID:")


def test_a_read_only_token_gets_403_permission_check_failed(sim: ProxmoxSim) -> None:
    sim.set_read_only()
    response = raw(sim, "POST", f"/nodes/{PRIMARY}/qemu/301/status/start")
    assert (response.status_code, response.reason) == (
        403,
        "Permission check failed (/vms/301, VM.PowerMgmt)",
    )
    assert response.json()["message"] == "Permission check failed (/vms/301, VM.PowerMgmt)\n"
    assert raw(sim, "GET", f"/nodes/{PRIMARY}/qemu").status_code == 200  # an auditor still reads


def test_an_offline_node_is_the_proxy_595_with_an_empty_body(sim: ProxmoxSim) -> None:
    sim.set_node_online(SECONDARY, False)
    response = raw(sim, "GET", f"/nodes/{SECONDARY}/qemu")
    assert (response.status_code, response.reason, response.content) == (595, "No route to host", b"")


@pytest.mark.parametrize(
    ("token", "reason"), [(None, "No ticket"), ("wrong-secret", "Authentication failed!")]
)
def test_refused_credentials_are_401_with_an_empty_body(
    sim: ProxmoxSim, token: str | None, reason: str
) -> None:
    response = raw(sim, "GET", "/nodes", token=token)
    assert (response.status_code, response.reason, response.content) == (401, reason, b"")


def test_refused_credentials_are_answered_only_after_the_delay(sim: ProxmoxSim) -> None:
    sim.auth_failure_delay = 0.4  # 3 s on a real server; shortened, but there
    started = time.perf_counter()
    assert raw(sim, "GET", "/nodes", token="wrong").status_code == 401
    assert time.perf_counter() - started >= 0.4
    started = time.perf_counter()
    assert raw(sim, "GET", "/nodes").status_code == 200  # a good token waits for nothing
    assert time.perf_counter() - started < 0.4


def test_task_status_accepts_the_upid_raw_and_percent_encoded(sim: ProxmoxSim) -> None:
    upid = raw(sim, "POST", f"/nodes/{PRIMARY}/qemu/301/status/start").json()["data"]
    assert re.fullmatch(
        rf"UPID:{PRIMARY}:[0-9A-F]{{8}}:[0-9A-F]{{8}}:[0-9A-F]{{8}}:qmstart:301:{re.escape(TOKEN)}:", upid
    )
    plain = raw(sim, "GET", f"/nodes/{PRIMARY}/tasks/{upid}/status").json()["data"]
    encoded = raw(sim, "GET", f"/nodes/{PRIMARY}/tasks/{requests.utils.quote(upid, safe='')}/status").json()[
        "data"
    ]
    assert plain["upid"] == encoded["upid"] == upid
    assert plain["user"] == TOKEN and plain["type"] == "qmstart" and plain["id"] == "301"


# -- the adapter: errors -----------------------------------------------------------------------


def test_a_wrong_secret_is_auth_failed_and_the_secret_is_never_in_the_message(sim: ProxmoxSim) -> None:
    with make_client(sim, secret="not-the-secret-value") as pve, pytest.raises(AuthFailed) as caught:
        pve.version()
    assert caught.value.status == 401
    assert "Authentication failed!" in str(caught.value)
    assert "not-the-secret-value" not in str(caught.value) and SECRET not in str(caught.value)


def test_a_read_only_token_starting_a_guest_is_auth_failed(sim: ProxmoxSim, client: ProxmoxClient) -> None:
    sim.set_read_only()
    with pytest.raises(
        AuthFailed, match=r"lacks a privilege \(Permission check failed \(/vms/301, VM.PowerMgmt\)\)"
    ):
        client.start(guest("k3s-srv-01"))


def test_missing_guest_and_node_are_not_found(client: ProxmoxClient) -> None:
    ghost = Guest(vmid=999, name="ghost", node=PRIMARY, kind="qemu", status="stopped")
    with pytest.raises(NotFound, match="qemu-server/999.conf' does not exist"):
        client.refresh(ghost)
    with pytest.raises(NotFound, match="no such node"):
        client.node_status("pve-nope")
    with pytest.raises(NotFound, match="no guest named 'ghost'"):
        client.guest("ghost")
    with pytest.raises(NotFound, match="no ZFS pool named 'tank'"):
        client.zfs_pool(PRIMARY, "tank")


def test_a_rejected_parameter_is_bad_request_naming_it(client: ProxmoxClient) -> None:
    with pytest.raises(BadRequest, match=r"snapname: invalid format - invalid configuration ID 'bad name'"):
        client.snapshot("docker-prod-01", "bad name")


def test_an_offline_node_is_unreachable_through_the_cluster(sim: ProxmoxSim, client: ProxmoxClient) -> None:
    sim.set_node_online(SECONDARY, False)
    with pytest.raises(Unreachable, match="No route to host") as caught:
        client.node_status(SECONDARY)
    assert caught.value.status == 595


def test_a_wrong_shape_is_malformed(
    sim: ProxmoxSim, client: ProxmoxClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim.world, "version_info", lambda: {"version": "9.0.3"})
    with pytest.raises(MalformedResponse, match="release"):
        client.version()
    monkeypatch.setattr(sim.world, "nodes", lambda: {"node": PRIMARY})
    with pytest.raises(MalformedResponse, match="expected a list"):
        client.nodes()


@pytest.mark.parametrize(
    ("status", "reason", "errors", "error"),
    [
        (401, "No ticket", None, AuthFailed),
        (403, "Permission check failed (/, Sys.Audit)", None, AuthFailed),
        (400, "Parameter verification failed.", {"x": "why"}, BadRequest),
        (404, "Not Found", None, NotFound),
        (500, "Configuration file 'nodes/pve/qemu-server/999.conf' does not exist", None, NotFound),
        (500, "CT 101 not running", None, Conflict),
        (501, "Method 'GET /x' not implemented", None, Unsupported),
        (595, "Connection refused", None, Unreachable),
        (500, "got timeout", None, ServerError),
        (503, "Service Unavailable", None, ServerError),
    ],
)
def test_every_status_maps_to_a_typed_error(status: int, reason: str, errors: Any, error: type) -> None:
    mapped = resource_error(ResourceException(status, "text", reason, errors=errors), "GET /x")
    assert type(mapped) is error
    assert mapped.status == status and reason in str(mapped)


# -- TLS ---------------------------------------------------------------------------------------


def test_default_verification_refuses_the_self_signed_certificate(sim: ProxmoxSim) -> None:
    with make_client(sim, fingerprint=None) as pve, pytest.raises(TlsError) as caught:
        pve.version()
    message = str(caught.value)
    assert "not trusted" in message and "self-signed" in message
    assert "tls.ca_file" in message and "tls.fingerprint" in message


@pytest.mark.parametrize("form", ["colons", "plain"])
def test_the_right_fingerprint_passes(sim: ProxmoxSim, form: str) -> None:
    pin = sim.fingerprint if form == "colons" else sim.fingerprint.replace(":", "").lower()
    with make_client(sim, fingerprint=pin) as pve:
        assert pve.version().version == "9.0.3"


def test_a_wrong_fingerprint_is_refused(sim: ProxmoxSim) -> None:
    with (
        make_client(sim, fingerprint="AB:" * 31 + "AB") as pve,
        pytest.raises(TlsError, match="does not match tls.fingerprint"),
    ):
        pve.version()


def test_the_ca_file_passes_and_another_ca_is_refused(sim: ProxmoxSim, tmp_path: Path) -> None:
    with make_client(sim, fingerprint=None, ca_file=sim.cert_file) as pve:
        assert pve.version().release == "9.0"
    other = make_certificate(tmp_path, "other", [sim.host])
    with (
        make_client(sim, fingerprint=None, ca_file=other.cert_file) as pve,
        pytest.raises(TlsError, match="not signed by"),
    ):
        pve.version()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_insecure_passes_only_when_asked(sim: ProxmoxSim) -> None:
    with make_client(sim, fingerprint=None, insecure=True) as pve:
        assert pve.nodes()[0].node == PRIMARY


def test_a_pin_skips_the_hostname_check_but_a_ca_file_does_not(lab_faults: Faults, tmp_path: Path) -> None:
    with ProxmoxSim(lab_faults, directory=tmp_path, host="127.0.0.1", auth_failure_delay=0) as local:
        url = f"https://localhost:{local.port}"  # the certificate names 127.0.0.1 only
        with ProxmoxClient(url, TOKEN, SECRET, fingerprint=local.fingerprint) as pve:
            assert pve.version().version == "9.0.3"
        with ProxmoxClient(url, TOKEN, SECRET, ca_file=local.cert_file) as pve, pytest.raises(TlsError):
            pve.version()


def test_a_plain_http_endpoint_is_a_tls_error_saying_so(sim: ProxmoxSim) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    plain = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    thread = threading.Thread(target=plain.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{plain.server_address[1]}"
        with (
            ProxmoxClient(url, TOKEN, SECRET, fingerprint=sim.fingerprint) as pve,
            pytest.raises(TlsError, match="plain http"),
        ):
            pve.version()
    finally:
        plain.shutdown()
        plain.server_close()


# -- tasks -------------------------------------------------------------------------------------


def test_starting_a_stopped_vm_follows_its_task_to_ok(client: ProxmoxClient) -> None:
    vm = client.guest("k3s-srv-01")
    assert not vm.running
    task = client.start(vm)
    assert (task.status, task.exitstatus, task.ok) == ("stopped", "OK", True)
    assert task.upid.startswith(f"UPID:{PRIMARY}:") and ":qmstart:301:" in task.upid
    assert client.refresh(vm).running


def test_qemu_reports_a_pointless_action_in_the_exit_status(client: ProxmoxClient) -> None:
    again = client.start("docker-prod-01")
    assert (again.exitstatus, again.ok) == ("VM 101 already running", False)
    assert client.shutdown("docker-prod-01", timeout=30).ok
    twice = client.shutdown("docker-prod-01", timeout=30)
    assert (twice.exitstatus, twice.ok) == ("VM 101 not running", False)


def test_lxc_refuses_a_pointless_action_at_once(client: ProxmoxClient) -> None:
    with pytest.raises(Conflict, match="CT 103 already running"):
        client.start("dns-prod-01")
    assert client.shutdown("dns-prod-01").exitstatus == "OK"
    with pytest.raises(Conflict, match="CT 103 not running"):
        client.shutdown("dns-prod-01")
    assert client.start("dns-prod-01").ok


def test_a_snapshot_is_a_task_and_then_listed(client: ProxmoxClient) -> None:
    task = client.snapshot("auth-prod-01", "pre-upgrade", "before 2026.2")
    assert task.ok and ":qmsnapshot:102:" in task.upid
    names = [s.name for s in client.snapshots("auth-prod-01")]
    assert names == ["pre-upgrade", "current"]
    duplicate = client.snapshot("auth-prod-01", "pre-upgrade")
    assert (duplicate.ok, duplicate.exitstatus) == (False, "snapshot name 'pre-upgrade' already used")
    assert client.snapshot("dns-prod-02", "pre-upgrade").ok  # a container's vzsnapshot


def test_a_task_that_does_not_finish_in_time_is_a_timeout(sim: ProxmoxSim, client: ProxmoxClient) -> None:
    sim.world.task_seconds = 5.0
    with pytest.raises(Timeout, match="still running after 0.2 s"):
        client.start("k3s-agt-01", timeout=0.2)


def test_without_quorum_no_guest_starts(sim: ProxmoxSim, client: ProxmoxClient) -> None:
    sim.set_node_online(SECONDARY, False)
    with pytest.raises(ServerError, match=r"cluster not ready - no quorum\?"):
        client.start(guest("k3s-srv-01"))


# -- storage: ZFS --------------------------------------------------------------------------------


def test_the_primary_boots_from_a_healthy_nvme_mirror(sim: ProxmoxSim, client: ProxmoxClient) -> None:
    pool = client.zfs_pool(PRIMARY, "rpool")
    assert (pool.state, pool.errors, pool.status) == ("ONLINE", "No known data errors", None)
    (mirror,) = pool.vdevs
    assert (mirror.name, mirror.kind, mirror.state) == ("mirror-0", "mirror", "ONLINE")
    assert [d.name for d in mirror.disks] == list(catalog.NODES[0].rpool_disks)
    assert {d.state for d in mirror.disks} == {"ONLINE"}
    tree = raw(sim, "GET", f"/nodes/{PRIMARY}/disks/zfs/rpool").json()["data"]
    assert tree["leaf"] == 0 and tree["children"][0]["name"] == "rpool"  # the first child is the pool itself
    assert [c["leaf"] for c in tree["children"][0]["children"][0]["children"]] == [1, 1]


def test_a_degraded_mirror_shows_the_lost_disk(sim: ProxmoxSim, client: ProxmoxClient) -> None:
    sim.degrade_mirror(PRIMARY)
    pool = client.zfs_pool(PRIMARY, "rpool")
    assert pool.state == "DEGRADED"
    assert pool.status and "degraded state" in pool.status
    assert pool.action == "Replace the device using 'zpool replace'."
    kept, lost = pool.vdevs[0].disks
    assert pool.vdevs[0].state == "DEGRADED" and kept.state == "ONLINE"
    assert lost.state == "UNAVAIL" and lost.name.isdigit()
    assert lost.note == f"was {catalog.NODES[0].rpool_disks[1]}"
    assert [p.health for p in client.zfs_pools(PRIMARY)] == ["DEGRADED"]


def test_the_secondary_boots_from_a_single_disk(sim: ProxmoxSim, client: ProxmoxClient) -> None:
    pool = client.zfs_pool(SECONDARY, "rpool")
    assert [(v.kind, v.name) for v in pool.vdevs] == [("disk", catalog.NODES[1].rpool_disks[0])]
    with pytest.raises(ValueError, match="single disk"):
        sim.degrade_mirror(SECONDARY)


def _vdev(name: str, state: str = "ONLINE", children: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "state": state, "read": 0, "write": 0, "cksum": 0, "msg": ""}
    return {**entry, "leaf": 0, "children": children} if children is not None else {**entry, "leaf": 1}


def test_logs_and_cache_are_not_data_vdevs_and_a_striped_disk_is_no_mirror() -> None:
    tree = {
        "name": "tank",
        "state": "ONLINE",
        "errors": "No known data errors",
        "leaf": 0,
        "children": [
            _vdev(
                "tank",
                children=[_vdev("mirror-0", children=[_vdev("/dev/a"), _vdev("/dev/b")]), _vdev("/dev/c")],
            ),
            _vdev("logs", children=[_vdev("/dev/slog")]),
            _vdev("cache", children=[_vdev("/dev/l2arc")]),
        ],
    }
    pool = parse_zpool(tree)
    assert [(v.name, v.kind) for v in pool.vdevs] == [("mirror-0", "mirror"), ("/dev/c", "disk")]
    assert "also stripes data over /dev/c" in (checks._mirror_problem(pool, 2) or "")
    raidz = parse_zpool(
        {**tree, "children": [_vdev("tank", children=[_vdev("raidz1-0", children=[_vdev("/dev/a")])])]}
    )
    assert raidz.vdevs[0].kind == "raidz" and "not a mirror" in (checks._mirror_problem(raidz, 2) or "")


def test_storage_lists_the_pool_backed_store(client: ProxmoxClient) -> None:
    stores = {s.storage: s for s in client.storage(PRIMARY)}
    assert stores["local-zfs"].type == "zfspool" and stores["local-zfs"].active
    assert "images" in stores["local-zfs"].content


# -- cluster, nodes, guests --------------------------------------------------------------------


def test_the_two_node_cluster_is_quorate_with_both_online(client: ProxmoxClient) -> None:
    status = client.cluster_status()
    assert (status.name, status.quorate, status.nodes_online, status.nodes_total) == (
        catalog.CLUSTER_NAME,
        True,
        2,
        2,
    )
    assert [m.name for m in status.members if m.local] == [PRIMARY]


def test_losing_one_of_two_nodes_without_a_qdevice_loses_quorum(
    sim: ProxmoxSim, client: ProxmoxClient
) -> None:
    sim.set_node_online(SECONDARY, False)
    status = client.cluster_status()
    assert (status.quorate, status.nodes_online, status.nodes_total) == (False, 1, 2)
    assert {n.node: n.status for n in client.nodes()} == {PRIMARY: "online", SECONDARY: "offline"}
    sim.set_node_online(SECONDARY, True)
    assert client.cluster_status().quorate


def test_a_qdevice_keeps_quorum_with_one_node_down() -> None:
    world = ProxmoxWorld(local=PRIMARY, user=TOKEN, version="9.0.3", task_seconds=0, qdevice=True)
    world.set_node_online(SECONDARY, False)
    assert world.quorate()


def test_when_the_asked_node_is_off_nothing_answers(sim: ProxmoxSim, client: ProxmoxClient) -> None:
    sim.set_node_online(PRIMARY, False)
    with pytest.raises(Unreachable):
        client.version()


def test_guests_of_every_node_with_integer_vmids(client: ProxmoxClient) -> None:
    found = {g.name: g for g in client.guests()}
    assert set(found) == {g.name for g in catalog.GUESTS}
    dns = found["dns-prod-02"]
    assert (dns.vmid, dns.kind, dns.node, dns.running) == (202, "lxc", SECONDARY, True)
    assert [g.vmid for g in client.guests(SECONDARY)] == [201, 202]


def test_an_older_pve_sends_lxc_vmids_as_text_and_they_are_coerced(
    sim: ProxmoxSim, client: ProxmoxClient
) -> None:
    sim.world.version = "8.1.4"
    assert raw(sim, "GET", f"/nodes/{PRIMARY}/lxc").json()["data"][0]["vmid"] == "103"
    assert client.guest("dns-prod-01").vmid == 103


def test_node_status_and_clock(sim: ProxmoxSim, client: ProxmoxClient) -> None:
    status = client.node_status(PRIMARY)
    assert status.pveversion.startswith("pve-manager/9.0.3/") and status.kernel and status.boot_mode == "efi"
    assert client.node_time(PRIMARY).skew() == pytest.approx(0, abs=2)
    sim.set_clock_offset(SECONDARY, 120)
    clock = client.node_time(SECONDARY)
    assert clock.skew() == pytest.approx(120, abs=2) and clock.timezone


# -- faults ------------------------------------------------------------------------------------


def test_a_down_backend_is_unreachable(sim: ProxmoxSim, lab_faults: Faults, client: ProxmoxClient) -> None:
    lab_faults.set_down("proxmox")
    with pytest.raises(Unreachable, match="cannot reach"):
        client.nodes()


def test_latency_slows_calls_and_beyond_the_timeout_is_a_timeout(sim: ProxmoxSim, lab_faults: Faults) -> None:
    lab_faults.set_latency("proxmox", 60)
    with make_client(sim) as pve:
        started = time.perf_counter()
        pve.version()
        assert time.perf_counter() - started >= 0.06
    lab_faults.set_latency("proxmox", 400)
    with make_client(sim, timeout=0.1) as pve, pytest.raises(Timeout, match=r"within 0.1 s"):
        pve.version()


def test_injected_errors_are_server_errors_in_pve_shape_then_calls_succeed(
    sim: ProxmoxSim, lab_faults: Faults, client: ProxmoxClient
) -> None:
    lab_faults.set_errors("proxmox", 1)
    response = raw(sim, "GET", "/version")
    assert (response.status_code, response.reason) == (500, "injected fault")
    assert response.json() == {"data": None, "message": "injected fault\n"}
    lab_faults.set_errors("proxmox", 1)
    with pytest.raises(ServerError, match="injected fault"):
        client.version()
    assert client.version().version == "9.0.3"


def test_the_loopback_guard_refuses_a_real_node_before_any_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_socket(*args: Any, **kw: Any) -> None:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", no_socket)
    monkeypatch.setattr(socket.socket, "connect", no_socket)
    with pytest.raises(netguard.GuardRefused, match="192.168.10.11"):
        ProxmoxClient("https://192.168.10.11:8006", TOKEN, SECRET)


def test_proxmoxer_never_logs_a_call(
    sim: ProxmoxSim, client: ProxmoxClient, caplog: pytest.LogCaptureFixture
) -> None:
    core = logging.getLogger("proxmoxer.core")
    level = core.level
    core.setLevel(logging.DEBUG)  # someone turns it up after the client exists
    try:
        with caplog.at_level(logging.DEBUG):
            client.snapshot("docker-prod-01", "quiet", "a description that must not be logged")
    finally:
        core.setLevel(level)
    assert not [r for r in caplog.records if r.name.startswith("proxmoxer")]
    assert "a description that must not be logged" not in caplog.text and SECRET not in caplog.text


# -- proxmoxer itself, unchanged ---------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_proxmoxer_reads_nodes_and_follows_a_task_with_blocking_status(sim: ProxmoxSim) -> None:
    user, _, token_name = TOKEN.partition("!")
    prox = ProxmoxAPI(
        sim.host, port=sim.port, user=user, token_name=token_name, token_value=SECRET, verify_ssl=False
    )
    assert [n["node"] for n in prox.nodes.get()] == [PRIMARY, SECONDARY]
    upid = prox.nodes(PRIMARY).qemu(301).status.start.post()
    status = Tasks.blocking_status(prox, upid, timeout=5, polling_interval=0.02)
    assert (status["status"], status["exitstatus"]) == ("stopped", "OK")
    assert Tasks.decode_upid(upid)["node"] == PRIMARY
    with pytest.raises(ResourceException) as caught:
        prox.nodes(PRIMARY).qemu(101).status.shutdown.post(forceStop=True)
    assert (caught.value.status_code, caught.value.content) == (400, "Parameter verification failed.")
    assert caught.value.errors == {"forceStop": "type check ('boolean') failed - got 'True'"}


# -- the route table against the API schema ----------------------------------------------------


def _schema_index() -> dict[str, dict[str, Any]]:
    text = APIDATA.read_text()
    index: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any]) -> None:
        index[node["path"]] = node
        for child in node.get("children") or []:
            walk(child)

    for root in json.loads(text[text.index("[") : text.rindex("]") + 1]):
        walk(root)
    return index


@pytest.mark.skipif(not APIDATA.is_file(), reason="the API schema is not in this checkout")
def test_every_route_takes_exactly_the_parameters_of_the_api_schema() -> None:
    index = _schema_index()
    for route in ROUTES:
        info = index[route.template]["info"][route.method]
        schema = info["parameters"].get("properties", {})
        assert set(route.params) == set(schema), route.template
        for name, param in route.params.items():
            spec = schema[name]
            assert param.type == spec["type"], (route.template, name)
            assert param.optional == bool(spec.get("optional")), (route.template, name)
            assert param.minimum == (int(spec["minimum"]) if "minimum" in spec else None), (
                route.template,
                name,
            )
        assert info.get("allowtoken", 1) == 1


# -- the evaluators ----------------------------------------------------------------------------

PHASE = """\
id = 0
title = "Compute"
goal = "Proxmox checks"

[[tasks]]
id = "build"
title = "Build"
principle = "hypervisor-redundancy"
runbook = "Build it."
{criteria}
"""

CRITERIA = {
    "mirror": {"type": "proxmox.zfs_mirror", "node": "role:hypervisor-primary"},
    "single": {"type": "proxmox.zfs_mirror", "node": "role:hypervisor-secondary"},
    "online": {"type": "proxmox.node_online", "node": "role:hypervisor-*"},
    "quorate": {"type": "proxmox.cluster_quorate", "min_nodes": 2},
    "dns": {"type": "proxmox.guest_running", "guest": "role:dns", "kind": "lxc"},
    "docker": {
        "type": "proxmox.guest_running",
        "guest": "role:docker",
        "kind": "qemu",
        "node": "role:hypervisor-primary",
    },
    "k3s": {"type": "proxmox.guest_running", "guest": "role:k3s-server"},
}


def write_project(root: Path, sim: ProxmoxSim, *, proxmox: bool = True, pinned: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "phases").mkdir(exist_ok=True)
    criteria = ""
    for name, check in CRITERIA.items():
        fields = "\n".join(f"{key} = {json.dumps(value)}" for key, value in check.items())
        criteria += f'\n[[exit]]\nid = "{name}"\ntitle = "{name}"\nprinciple = "hypervisor-redundancy"\n[exit.check]\n{fields}\n'
    (root / "phases" / "0.toml").write_text(PHASE.format(criteria=criteria))
    lines = ['phases_dir = "phases"']
    for host in catalog.HOSTS:
        lines += [
            "",
            "[[hosts]]",
            f'name = "{host.name}"',
            f'role = "{host.role}"',
            f'address = "{host.address}"',
        ]
        lines.append(f"vlan = {host.vlan}")
    if proxmox:
        secret = root / "pve.secret"
        secret.write_text(SECRET + "\n")
        secret.chmod(0o600)
        lines += [
            "",
            "[proxmox]",
            f'api_url = "{sim.url}"',
            f'token_id = "{TOKEN}"',
            'token_secret = { file = "pve.secret" }',
        ]
        if pinned:
            lines.append(f'tls = {{ fingerprint = "{sim.fingerprint}" }}')
    (root / "cockpit.toml").write_text("\n".join(lines) + "\n")
    return root / "cockpit.toml"


def run_criteria(config: Path) -> dict[str, Any]:
    project = load_project(str(config))
    ctx = CheckContext(project, store=None)  # type: ignore[arg-type]  # no evaluator here reads the store

    async def run_all() -> list[Any]:
        jobs = [checks.EVALUATORS[c.check.type](c, ctx) for _, c in project.phases[0].criteria()]
        return list(await asyncio.gather(*jobs))

    return {r.criterion: r for r in asyncio.run(run_all())}


def test_the_healthy_lab_passes_every_criterion_except_what_is_not_so(
    sim: ProxmoxSim, tmp_path: Path
) -> None:
    results = run_criteria(write_project(tmp_path, sim))
    outcomes = {name: r.result for name, r in results.items()}
    assert outcomes == {
        "mirror": "pass",
        "single": "fail",  # pve-prod-02 boots from one disk: honest, never a pass
        "online": "pass",
        "quorate": "pass",
        "dns": "pass",
        "docker": "pass",
        "k3s": "fail",  # created, not started
    }
    assert results["mirror"].observed[PRIMARY]["state"] == "ONLINE"
    assert "mirror-0 ONLINE" in results["mirror"].observed[PRIMARY]["layout"]
    assert "not a mirror" in results["single"].detail
    assert results["quorate"].observed == {
        "cluster": catalog.CLUSTER_NAME,
        "quorate": True,
        "nodes_online": 2,
        "nodes_total": 2,
        "offline": [],
    }
    assert "k3s-srv-01: qemu 301 (k3s-srv-01) on pve-prod-01 is stopped" in results["k3s"].detail
    assert sim.url in (results["online"].evidence or "")


def test_a_degraded_mirror_and_an_offline_node_fail(sim: ProxmoxSim, tmp_path: Path) -> None:
    sim.degrade_mirror(PRIMARY)
    sim.set_node_online(SECONDARY, False)
    results = run_criteria(write_project(tmp_path, sim))
    assert results["mirror"].result == "fail"
    assert results["mirror"].observed[PRIMARY]["state"] == "DEGRADED"
    assert "rpool is DEGRADED" in results["mirror"].detail
    assert results["single"].result == "error"  # pve-prod-02 cannot be asked: an error, not a verdict
    assert results["online"].result == "fail" and results["online"].observed[SECONDARY] == "offline"
    assert results["quorate"].result == "fail" and "not quorate" in results["quorate"].detail
    assert results["dns"].result == "fail" and "pve-prod-02 offline" in results["dns"].detail


def test_a_down_api_is_an_error_for_every_criterion(
    sim: ProxmoxSim, lab_faults: Faults, tmp_path: Path
) -> None:
    lab_faults.set_down("proxmox")
    results = run_criteria(write_project(tmp_path, sim))
    assert {r.result for r in results.values()} == {"error"}
    assert all("cannot reach" in r.detail for r in results.values())


def test_an_unpinned_self_signed_node_is_an_error_naming_the_fix(sim: ProxmoxSim, tmp_path: Path) -> None:
    results = run_criteria(write_project(tmp_path, sim, pinned=False))
    assert {r.result for r in results.values()} == {"error"}
    assert "tls.fingerprint" in results["quorate"].detail


def test_no_proxmox_section_is_an_error_through_the_engine(
    sim: ProxmoxSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cockpit.checks import runner as engine

    for check_type, evaluator in checks.EVALUATORS.items():
        monkeypatch.setitem(engine.EVALUATORS, check_type, evaluator)
    project = load_project(str(write_project(tmp_path, sim, proxmox=False)))
    ctx = CheckContext(project, store=None)  # type: ignore[arg-type]
    criterion = project.phases[0].criterion("quorate")
    assert criterion is not None
    outcome = asyncio.run(engine_evaluate(criterion, ctx))
    assert outcome.result == "error" and "no [proxmox] section in" in outcome.detail
