#!/usr/bin/env python3
"""What the scripts in this folder that run one Gatehouse worker in front of
gatehouse-upstream share (miss_callgrind.py, cpu_ab.py): its configuration
file and waiting for it to listen."""
import socket
import time


def wait_for_port(port, proc, timeout):
    """Whether PORT on 127.0.0.1 accepts within TIMEOUT seconds while PROC runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def write_config(path, port, admin_port, upstream_port, policy):
    """A one-worker Gatehouse on PORT (admin on ADMIN_PORT) forwarding
    everything to the upstream; POLICY, when not empty, is the one entry of
    the route's policies list."""
    with open(path, "w") as f:
        f.write(f"""workers: 1
listeners: [{{ name: public, address: "127.0.0.1:{port}" }}]
admin: {{ address: "127.0.0.1:{admin_port}" }}
upstreams: {{ app: {{ targets: ["127.0.0.1:{upstream_port}"] }} }}
routes:
  - name: all
    match: {{ path_prefix: / }}
    upstream: app
""")
        if policy:
            f.write(f"    policies:\n      - {policy}\n")
