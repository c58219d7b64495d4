"""Test certificates made with the `openssl` command line: a CA, server
certificates (ECDSA and RSA) for chosen names, and client certificates."""

import calendar
import os
import subprocess
import time


def run(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class TestPki:
    def __init__(self, directory):
        self.dir = directory
        self.ca_crt, self.ca_key = self.path("ca.crt"), self.path("ca.key")
        run("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", self.ca_key, "-out", self.ca_crt, "-subj", "/CN=Gatehouse Test CA", "-days", "3")

    def path(self, name):
        return os.path.join(self.dir, name)

    def issue(self, name, cn, dns=(), kind="ec", client=False, days=3):
        """Signs a certificate for `cn` with the CA; returns (cert, key) paths."""
        key, csr, crt, ext = (self.path(name + s) for s in (".key", ".csr", ".crt", ".ext"))
        newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "ec" else ["-newkey", "rsa:2048"]
        run("req", "-new", *newkey, "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=" + cn)
        lines = ["basicConstraints=CA:FALSE"]
        if dns:
            lines.append("subjectAltName=" + ",".join("DNS:" + d for d in dns))
        lines.append("extendedKeyUsage=" + ("clientAuth" if client else "serverAuth"))
        with open(ext, "w") as f:
            f.write("\n".join(lines) + "\n")
        run("x509", "-req", "-in", csr, "-CA", self.ca_crt, "-CAkey", self.ca_key, "-CAcreateserial",
            "-out", crt, "-days", str(days), "-extfile", ext)
        return crt, key


def not_after_unix(cert):
    """The certificate's notAfter as a Unix timestamp."""
    out = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-enddate"], check=True,
                         capture_output=True, text=True).stdout.strip()
    text = out.split("=", 1)[1]  # e.g. "Nov 28 00:00:00 2026 GMT"
    return calendar.timegm(time.strptime(text, "%b %d %H:%M:%S %Y GMT"))
