"""The example program, run as a user runs it, against a TLS server verified with the test CA."""

import os
import subprocess
import sys

from conftest import CA, HERE, PASSWORD, payload, read, write

EXAMPLE = os.path.join(HERE, "..", "examples", "ftpc_get.py")


def test_example_verified_tls_download(tls_server, tmp_path):
    name, local = tls_server.new_dir()
    data = payload(500_000, 20)
    write(os.path.join(local, "file.bin"), data)
    env = dict(os.environ, FTP_PASSWORD=PASSWORD)
    out = subprocess.run([sys.executable, EXAMPLE, tls_server.url(name + "/file.bin"),
                          str(tmp_path / "file.bin"), "--cafile", CA, "--quiet"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "TLS" in out.stdout
    assert read(tmp_path / "file.bin") == data
    # Without the CA the certificate is refused: no download.
    out = subprocess.run([sys.executable, EXAMPLE, tls_server.url(name + "/file.bin"),
                          str(tmp_path / "other.bin"), "--quiet"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "FTP_ERR_TLS" in out.stderr
    assert not (tmp_path / "other.bin").exists()
