#!/usr/bin/python3
# podman-compose-compat.py: Debian 12's podman-compose (1.0.3) with the three
# things of the Compose Specification that etc/examples/compose/compose.yaml
# uses and 1.0.3 lacks (later podman-compose releases, and Docker Compose,
# have them):
#
#   - network_mode "service:NAME": 1.0.3 hands it to podman as it is, and
#     adds the default network after it, which podman refuses; here it
#     becomes "container:NAME's container" and no other network is added;
#   - a service's networks as a mapping with ipv4_address: 1.0.3 takes the
#     mapping for "name=value" strings (KeyError); here the names are the
#     keys and ipv4_address becomes --ip;
#   - a network's ipam subnet: 1.0.3 creates every network without one;
#     here a network that does not exist yet is created with it.
#
# Arguments are podman-compose's.  Used by compose-multichain.sh only: the
# example itself is plain Compose.
import subprocess
import sys

import podman_compose as pc

if pc.__version__ != "1.0.3":
    sys.stderr.write("podman-compose-compat: written for podman-compose "
                     "1.0.3, this is %s\n" % pc.__version__)

_norm_as_list = pc.norm_as_list
_get_net_args = pc.get_net_args
_assert_cnt_nets = pc.assert_cnt_nets
_container_to_args = pc.container_to_args


def norm_as_list(src):
    """A mapping whose values are mappings (a service's networks) gives its
    keys; anything else as 1.0.3 does."""
    if pc.is_dict(src) and any(pc.is_dict(v) for v in src.values()):
        return [k for k in src]
    return _norm_as_list(src)


def net_name(compose, net):
    """The podman network of compose network NET, as 1.0.3 names it."""
    desc = compose.networks.get(net) or {}
    ext = desc.get("external", None)
    ext_desc = ext if pc.is_dict(ext) else {}
    default = net if ext else "%s_%s" % (compose.project_name, net)
    return ext_desc.get("name", None) or desc.get("name", None) or default


def assert_cnt_nets(compose, cnt):
    if cnt.get("network_mode"):
        return
    for net in norm_as_list(cnt.get("networks", None) or compose.default_net):
        desc = compose.networks.get(net) or {}
        subnets = [c["subnet"] for c in
                   (desc.get("ipam") or {}).get("config") or []
                   if "subnet" in c]
        name = net_name(compose, net)
        if not subnets or subprocess.call(
                ["podman", "network", "exists", name]) == 0:
            continue
        args = ["podman", "network", "create", "--label",
                "io.podman.compose.project=%s" % compose.project_name]
        for s in subnets:
            args += ["--subnet", s]
        subprocess.check_call(args + [name], stdout=subprocess.DEVNULL)
    _assert_cnt_nets(compose, cnt)


def get_net_args(compose, cnt):
    if cnt.get("network_mode"):
        return []
    args = _get_net_args(compose, cnt)
    nets = cnt.get("networks", None)
    if pc.is_dict(nets):
        for desc in nets.values():
            if desc and desc.get("ipv4_address"):
                args += ["--ip", str(desc["ipv4_address"])]
    return args


def container_to_args(compose, cnt, detached=True):
    mode = cnt.get("network_mode") or ""
    if mode.startswith("service:"):
        other = compose.container_names_by_service[mode[len("service:"):]]
        cnt = dict(cnt, network_mode="container:" + other[0])
    return _container_to_args(compose, cnt, detached)


pc.norm_as_list = norm_as_list
pc.assert_cnt_nets = assert_cnt_nets
pc.get_net_args = get_net_args
pc.container_to_args = container_to_args

if __name__ == "__main__":
    pc.main()
