"""config/gatehouse.schema.json and the loader agree (CONFIG-CONVENTIONS):
every shipped YAML passes both the schema and `gatehouse check`; a richer
valid config passes both; and each of a set of mistakes is rejected by both.
The loader remains the authority on ranges, references and files; the schema
is for editors and CI linting of configs."""

import copy
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import jsonschema
import yaml

from harness import GATEHOUSE_BIN, SLOW, SOURCE_DIR

SCHEMA_PATH = os.path.join(SOURCE_DIR, "config", "gatehouse.schema.json")
SHIPPED = [os.path.join(SOURCE_DIR, "config", "gatehouse.yaml")]


def make_cert(directory, name):
    crt, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "1", "-subj", "/CN=localhost", "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    return crt, key


class SchemaAgreementTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(SCHEMA_PATH) as f:
            cls.schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(cls.schema)
        cls.validator = jsonschema.Draft202012Validator(cls.schema)
        cls.dir = tempfile.mkdtemp(prefix="gatehouse-schema-")
        cls.crt, cls.key = make_cert(cls.dir, "localhost")
        cls.env = dict(os.environ, GATEHOUSE_DEMO_TLS_DIR=cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def schema_errors(self, document):
        return [e.message for e in self.validator.iter_errors(document)]

    def check(self, text):
        path = os.path.join(self.dir, "candidate.yaml")
        with open(path, "w") as f:
            f.write(text)
        return subprocess.run([GATEHOUSE_BIN, "check", "--config", path], capture_output=True, text=True,
                              env=self.env, timeout=10 * SLOW)

    def test_shipped_configs_pass_both(self):
        for path in SHIPPED:
            with open(path) as f:
                text = f.read()
            self.assertEqual(self.schema_errors(yaml.safe_load(text)), [], path)
            r = subprocess.run([GATEHOUSE_BIN, "check", "--config", path], capture_output=True, text=True,
                               env=self.env, timeout=10 * SLOW)
            self.assertEqual(r.returncode, 0, r.stderr)

    def rich_config(self):
        return {
            "workers": 2,
            "drain_timeout": "5s",
            "listeners": [
                {"name": "secure", "address": "127.0.0.1:18443", "max_header_size": "16KiB",
                 "trusted_proxies": ["10.0.0.0/8"],
                 "tls": {"certificates": [{"cert_file": self.crt, "key_file": self.key}],
                         "protocols": ["TLSv1.3"], "session_timeout": "30m", "ticket_key_rotation": "1h",
                         "client_certificates": {"ca_file": self.crt, "mode": "optional",
                                                 "subject_header": "X-Client-Subject"}}},
                {"name": "plain", "address": "127.0.0.1:18080", "redirect_to_https": {"port": 18443}},
            ],
            "admin": {"address": "127.0.0.1:19901"},
            "upstreams": {
                "app": {"targets": ["127.0.0.1:3000"], "connect_timeout": "500ms", "max_idle_connections": 8},
                "secure_app": {"targets": "https://127.0.0.1:3443",
                               "tls": {"ca_file": self.crt, "server_name": "localhost"}},
            },
            "defaults": {"policies": [{"headers": {"response": {"remove": ["X-Powered-By"]}}},
                                      {"rate_limit": {"key": "client_ip", "limit": "100/m"}}]},
            # (A route naming `limits` would inherit the default's `limit` too:
            # merging is by key, and the loader refuses the pair.)
            "routes": [
                {"name": "api", "match": {"path_prefix": "/api/", "methods": ["GET", "POST"]}, "upstream": "app",
                 "max_body_size": "1MiB",
                 "policies": [{"rate_limit": {"key": ["client_ip", "header:X-Api-Key"], "limit": "10/s",
                                              "burst": 20, "headers": {"legacy": False}}}]},
                {"name": "shared", "match": {"path_prefix": "/shared/"}, "upstream": "app",
                 "policies": [{"rate_limit": {"limit": "50/s", "store": "redis",
                                              "redis": {"address": "127.0.0.1:6379", "password": "${REDIS_PASSWORD:-x}",
                                                        "timeout": "20ms", "pool_size": 2,
                                                        "tls": {"ca_file": self.crt, "server_name": "localhost"}},
                                              "on_store_error": "fail_open", "expected_instances": 2}}]},
                {"name": "admin", "match": {"path_prefix": "/admin/"}, "upstream": "app",
                 "policies": [{"jwt": {"issuers": [{"issuer": "https://id.example", "audiences": ["api"],
                                                    "algorithms": ["HS256"], "secret": "${JWT_SECRET:-0123456789abcdef0123456789abcdef}"}],
                                       "require": {"role": ["admin"]}, "claims_to_headers": {"sub": "X-User-Id"},
                                       "leeway": "30s"}}]},
                {"name": "open", "match": {"path": "/health"}, "upstream": "secure_app", "access_log": "off",
                 "policies": [{"rate_limit": "off"}, {"headers": {"request": {"set": {"X-Env": "test"}}}}]},
                {"name": "scripted", "match": {"path_prefix": "/scripted/"}, "upstream": "app",
                 "policies": [{"lua": {"source": "function on_request(req) req:set_header('X-Lua', '1') end",
                                       "max_instructions": 100000, "max_memory": "1MiB"}}]},
                {"name": "browser", "match": {"path_prefix": "/app/"}, "upstream": "app",
                 "policies": [
                     {"cors": {"allow_origins": ["https://app.example", "https://*.example.org"],
                               "allow_origin_patterns": [r"https://pr-[0-9]+\.example\.net"],
                               "allow_methods": ["GET", "PUT"], "allow_headers": ["Content-Type"],
                               "expose_headers": ["ETag"], "allow_credentials": True, "max_age": "10m"}},
                     {"access": {"methods": ["GET", "PUT"], "max_body_size": "64KiB", "allow_ips": ["10.0.0.0/8"],
                                 "deny_ips": ["10.9.0.0/16"], "max_header_count": 50}},
                     {"security_headers": {"preset": "helmet", "upstream": "overwrite", "server": "off",
                                           "content_security_policy": {
                                               "directives": {"img-src": ["'self'", "data:"],
                                                              "upgrade-insecure-requests": "off"},
                                               "report_only": True},
                                           "strict_transport_security": {"max_age": "730d", "preload": True},
                                           "x_frame_options": {"value": "DENY", "upstream": "keep"},
                                           "referrer_policy": ["no-referrer", "strict-origin-when-cross-origin"],
                                           "permissions_policy": {"features": {"camera": [], "geolocation": ["self"]}},
                                           "x_xss_protection": "off"}},
                 ]},
                {"name": "posts", "match": {"path_prefix": "/posts/", "methods": ["GET", "HEAD"]}, "upstream": "app",
                 "policies": [{"cache": {"max_size": "64MiB", "max_object_size": "1MiB", "default_ttl": "60s",
                                         "stale_while_revalidate": "5m", "stale_if_error": "1d", "etag": "generate",
                                         "key": {"headers": ["X-Tenant"], "ignore_query": ["utm_source"],
                                                 "sort_query": True},
                                         "collapse_wait": "500ms", "store_set_cookie": False, "fill_on_range": True,
                                         "heuristic_percent": 10, "heuristic_max": "1d",
                                         "targeted_fields": ["Gatehouse-Cache-Control", "CDN-Cache-Control"]}}]},
            ],
            "access_log": {"path": "stdout", "format": "json", "buffer_size": "2MiB",
                           "fields": ["default", "claim:sub", "request_header:X-Api-Key", "response_header:etag"]},
        }

    def test_a_rich_valid_config_passes_both(self):
        cfg = self.rich_config()
        self.assertEqual(self.schema_errors(cfg), [])
        r = self.check(json.dumps(cfg))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_mistakes_are_rejected_by_both(self):
        def mutate(fn):
            cfg = self.rich_config()
            fn(cfg)
            return cfg

        cases = {
            "unknown top-level key": mutate(lambda c: c.update(worker=2)),
            "listener without address": mutate(lambda c: c["listeners"][1].pop("address")),
            "misspelt listener key": mutate(lambda c: c["listeners"][0].update(idle_timout="5s")),
            "old TLS version": mutate(lambda c: c["listeners"][0]["tls"].update(protocols=["TLSv1.1"])),
            "certificate without key": mutate(lambda c: c["listeners"][0]["tls"]["certificates"][0].pop("key_file")),
            "bad client certificate mode": mutate(
                lambda c: c["listeners"][0]["tls"]["client_certificates"].update(mode="sometimes")),
            "upstream without targets": mutate(lambda c: c["upstreams"]["app"].pop("targets")),
            "upstream tls cert without key": mutate(
                lambda c: c["upstreams"]["secure_app"]["tls"].update(cert_file=self.crt)),
            "duration without unit": mutate(lambda c: c["upstreams"]["app"].update(connect_timeout="500")),
            "route without upstream": mutate(lambda c: c["routes"][0].pop("upstream")),
            "unknown match key": mutate(lambda c: c["routes"][0]["match"].update(paths="/x")),
            "unknown policy type": mutate(lambda c: c["routes"][0]["policies"].append({"cache_it": {}})),
            "two keys in one policy entry": mutate(
                lambda c: c["routes"][0]["policies"].append({"headers": {}, "rate_limit": {"limit": "1/s"}})),
            "unknown rate_limit option": mutate(
                lambda c: c["routes"][0]["policies"][0]["rate_limit"].update(limt="1/s")),
            "bad rate": mutate(lambda c: c["routes"][0]["policies"][0]["rate_limit"].update(limit="ten per s")),
            "bad algorithm": mutate(lambda c: c["routes"][0]["policies"][0]["rate_limit"].update(algorithm="leaky")),
            "bad key part": mutate(lambda c: c["routes"][0]["policies"][0]["rate_limit"].update(key="ip")),
            "redis options without address": mutate(
                lambda c: c["routes"][1]["policies"][0]["rate_limit"]["redis"].pop("address")),
            "misspelt redis tls key": mutate(
                lambda c: c["routes"][1]["policies"][0]["rate_limit"]["redis"]["tls"].update(ca_fil=self.crt)),
            "redis tls as a list": mutate(
                lambda c: c["routes"][1]["policies"][0]["rate_limit"]["redis"].update(tls=[self.crt])),
            "bad store error mode": mutate(
                lambda c: c["routes"][1]["policies"][0]["rate_limit"].update(on_store_error="retry")),
            "jwt issuer without a key source": mutate(
                lambda c: c["routes"][2]["policies"][0]["jwt"]["issuers"][0].pop("secret")),
            "jwt algorithm none": mutate(
                lambda c: c["routes"][2]["policies"][0]["jwt"]["issuers"][0].update(algorithms=["none"])),
            "unknown jwt option": mutate(lambda c: c["routes"][2]["policies"][0]["jwt"].update(leway="1s")),
            "lua with both file and source": mutate(
                lambda c: c["routes"][4]["policies"][0]["lua"].update(file="hooks.lua")),
            "unknown lua option": mutate(lambda c: c["routes"][4]["policies"][0]["lua"].update(max_memroy="1MiB")),
            "unknown access log field": mutate(lambda c: c["access_log"]["fields"].append("stauts")),
            "access log template with json": mutate(lambda c: c["access_log"].update(template="$status")),
            "access log fields with text": mutate(lambda c: c["access_log"].update(format="text")),
            "access log without path": mutate(lambda c: c["access_log"].pop("path")),
            "bad access log format": mutate(lambda c: c["access_log"].update(format="xml")),
            "route access_log neither on nor off": mutate(lambda c: c["routes"][3].update(access_log="never")),
            "unknown cache option": mutate(lambda c: c["routes"][6]["policies"][0]["cache"].update(ttl="5s")),
            "bad cache etag mode": mutate(lambda c: c["routes"][6]["policies"][0]["cache"].update(etag="weak")),
            "unknown cache key option": mutate(
                lambda c: c["routes"][6]["policies"][0]["cache"]["key"].update(header=["X-A"])),
            "unknown headers edit": mutate(
                lambda c: c["routes"][3]["policies"][1]["headers"]["request"].update(replace={"A": "b"})),
            "misspelt cors key": mutate(
                lambda c: c["routes"][5]["policies"][0]["cors"].update(allow_origin=["https://a.example"])),
            "unknown access option": mutate(lambda c: c["routes"][5]["policies"][1]["access"].update(method=["GET"])),
            "access header count of 0": mutate(
                lambda c: c["routes"][5]["policies"][1]["access"].update(max_header_count=0)),
            "unknown security_headers preset": mutate(
                lambda c: c["routes"][5]["policies"][2]["security_headers"].update(preset="strict")),
            "bad upstream choice": mutate(
                lambda c: c["routes"][5]["policies"][2]["security_headers"].update(upstream="merge")),
            "misspelt hsts option": mutate(
                lambda c: c["routes"][5]["policies"][2]["security_headers"]["strict_transport_security"].update(
                    max_ag="1d")),
        }
        for name, cfg in cases.items():
            with self.subTest(name):
                self.assertNotEqual(self.schema_errors(cfg), [], "the schema accepted: " + name)
                r = self.check(json.dumps(cfg))
                self.assertEqual(r.returncode, 1, "the loader accepted: %s\n%s" % (name, r.stderr))


if __name__ == "__main__":
    unittest.main()
