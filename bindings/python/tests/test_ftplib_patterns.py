"""ftplib's documented usage, with only the import changed, against every server (pyftpdlib
and vsftpd, plain and explicit TLS with the certificate verified)."""

import ftplib
import io
import os

import pytest

import ftpc
from ftpc import FTP, FTP_TLS
from conftest import CA, PASSWORD, USER, payload, read, write


def open_session(server):
    """ftplib's pattern: FTP() / FTP_TLS(), connect(host, port), login(user, passwd)."""
    ftp = FTP_TLS(cafile=CA) if server.tls else FTP()
    welcome = ftp.connect("127.0.0.1", server.port)
    assert welcome.startswith("220") and "ready" in welcome
    assert ftp.getwelcome() == welcome
    ftp.login(USER, PASSWORD)
    if server.tls:
        ftp.prot_p()
    return ftp


def test_docs_session_list_and_retrbinary(server, rdir, tmp_path):
    name, local = rdir
    data = payload(300_000)
    write(os.path.join(local, "README"), data)
    with open_session(server) as ftp:
        assert ftp.cwd(name).startswith("250")
        lines = []
        assert ftp.retrlines("LIST", lines.append).startswith("226")
        assert len(lines) == 1 and lines[0].endswith("README")
        with open(tmp_path / "README", "wb") as fp:
            assert ftp.retrbinary("RETR README", fp.write).startswith("226")
        assert read(tmp_path / "README") == data
        assert ftp.pwd() == "/" + name
    assert not ftp.connected


def test_docs_dir_prints_and_nlst(server, rdir, capsys):
    name, local = rdir
    write(os.path.join(local, "one.txt"), b"1")
    write(os.path.join(local, "two.txt"), b"22")
    with open_session(server) as ftp:
        ftp.cwd(name)
        ftp.dir()
        out = capsys.readouterr().out.splitlines()
        assert any(l.endswith("one.txt") for l in out) and any(l.endswith("two.txt") for l in out)
        got = []
        ftp.dir(".", got.append)
        assert len(got) == 2
        assert sorted(os.path.basename(n) for n in ftp.nlst()) == ["one.txt", "two.txt"]


def test_storbinary_storlines_retrlines(server, rdir, tmp_path):
    name, local = rdir
    data = payload(200_000, 2)
    src = tmp_path / "up.bin"
    src.write_bytes(data)
    with open_session(server) as ftp:
        ftp.cwd(name)
        seen = []
        with open(src, "rb") as fp:
            assert ftp.storbinary("STOR up.bin", fp, callback=seen.append).startswith("226")
        assert b"".join(seen) == data
        assert read(os.path.join(local, "up.bin")) == data
        assert ftp.size("up.bin") == len(data)
        ftp.storlines("STOR t.txt", io.BytesIO(b"alpha\nbeta\r\ngamma"))
        # Stored as the server keeps text: CRLF (vsftpd) or its local line end (pyftpdlib).
        assert read(os.path.join(local, "t.txt")).replace(b"\r\n", b"\n") == b"alpha\nbeta\ngamma\n"
        lines = []
        ftp.retrlines("RETR t.txt", lines.append)
        assert lines == ["alpha", "beta", "gamma"]


def test_retrbinary_blocksize_and_rest(server, rdir):
    name, local = rdir
    data = payload(100_000, 3)
    write(os.path.join(local, "f.bin"), data)
    with open_session(server) as ftp:
        ftp.cwd(name)
        blocks = []
        ftp.retrbinary("RETR f.bin", blocks.append, blocksize=1000)
        assert b"".join(blocks) == data and max(map(len, blocks)) <= 1000
        part = []
        ftp.retrbinary("RETR f.bin", part.append, rest=12345)
        assert b"".join(part) == data[12345:]


def test_directory_commands(server, rdir):
    name, local = rdir
    write(os.path.join(local, "a.txt"), b"abc")
    with open_session(server) as ftp:
        ftp.cwd(name)
        made = ftp.mkd("sub")
        assert made.endswith("sub")
        assert os.path.isdir(os.path.join(local, "sub"))
        ftp.cwd("sub")
        assert ftp.pwd() == "/%s/sub" % name
        ftp.cwd("..")
        assert ftp.pwd() == "/" + name
        assert ftp.rename("a.txt", "b.txt").startswith("250")
        assert os.path.exists(os.path.join(local, "b.txt"))
        assert ftp.delete("b.txt").startswith("250")
        assert ftp.rmd("sub").startswith("250")
        assert os.listdir(local) == []


def test_sendcmd_voidcmd(server, rdir):
    name, local = rdir
    write(os.path.join(local, "s.bin"), b"x" * 4321)
    with open_session(server) as ftp:
        assert ftp.voidcmd("NOOP").startswith("200")
        ftp.voidcmd("TYPE I")  # as ftplib code does before SIZE (pyftpdlib refuses it in TYPE A)
        assert ftp.sendcmd("SIZE %s/s.bin" % name) == "213 4321"
        with pytest.raises(ftplib.error_perm) as e:
            ftp.sendcmd("XYZZY")
        assert str(e.value).startswith("50") and e.value.reply_code in (500, 502)
        # 350 is not 2xx: voidcmd raises error_reply, as ftplib does.
        with pytest.raises(ftplib.error_reply) as e:
            ftp.voidcmd("RNFR %s/s.bin" % name)
        assert e.value.reply_code == 350
        ftp.voidcmd("RNTO %s/t.bin" % name)
        assert os.path.exists(os.path.join(local, "t.bin"))
        multi = ftp.sendcmd("HELP")
        assert multi.startswith("214")


def test_transfercmd_and_voidresp(server, rdir):
    name, local = rdir
    data = payload(150_000, 4)
    write(os.path.join(local, "d.bin"), data)
    with open_session(server) as ftp:
        ftp.cwd(name)
        ftp.voidcmd("TYPE I")
        conn, size = ftp.ntransfercmd("RETR d.bin")
        chunks = []
        while True:
            b = conn.recv(8192)
            if not b:
                break
            chunks.append(b)
        conn.close()
        assert ftp.voidresp().startswith("226")
        assert b"".join(chunks) == data
        assert size in (None, len(data))
        with ftp.transfercmd("STOR e.bin") as conn:
            conn.sendall(data[:1000])
            conn.sendall(data[1000:])
        assert ftp.voidresp().startswith("226")
        assert read(os.path.join(local, "e.bin")) == data
        with ftp.transfercmd("RETR d.bin") as conn:
            with conn.makefile("rb") as f:
                assert f.read() == data
        ftp.voidresp()
        assert ftp.pwd() == "/" + name


def test_error_perm_like_ftplib(server):
    with open_session(server) as ftp:
        try:
            ftp.retrbinary("RETR no-such-file", lambda b: None)
        except ftplib.error_perm as resp:
            assert str(resp)[:3] == "550"
            assert resp.reply_code == 550 and resp.code == ftpc.FTP_ERR_PERMANENT
            assert isinstance(resp, ftpc.PermanentError)
        else:
            pytest.fail("no error")
        try:
            ftp.size("missing")
        except ftplib.all_errors as e:
            assert isinstance(e, ftplib.error_perm) and e.reply_code == 550
        assert ftp.voidcmd("NOOP").startswith("200")


def test_mlsd_like_ftplib(server, rdir):
    name, local = rdir
    write(os.path.join(local, "m.bin"), b"m" * 77)
    os.mkdir(os.path.join(local, "d"))
    with open_session(server) as ftp:
        if not server.has_mlsd:
            with pytest.raises(ftplib.error_perm) as e:
                list(ftp.mlsd(name))
            assert e.value.reply_code in (500, 502)
            return
        got = {n: f for n, f in ftp.mlsd(name) if f.get("type") not in ("cdir", "pdir")}
        assert got["m.bin"]["type"] == "file" and got["m.bin"]["size"] == "77"
        assert "modify" in got["m.bin"]
        assert got["d"]["type"] == "dir"
        only = dict(ftp.mlsd(name, facts=["type"]))
        assert only["m.bin"] == {"type": "file"}


def test_wrong_password_is_error_perm(server):
    ftp = FTP_TLS(cafile=CA) if server.tls else FTP()
    ftp.connect("127.0.0.1", server.port)
    with pytest.raises(ftplib.error_perm) as e:
        ftp.login(USER, "not-the-password")
    assert e.value.reply_code == 530 and str(e.value).startswith("530")
    assert PASSWORD not in e.value.message and "not-the-password" not in e.value.message
    ftp.close()


def test_constructor_logs_in(server):
    cls, kw = (FTP_TLS, {"cafile": CA}) if server.tls else (FTP, {})
    with cls("127.0.0.1", USER, PASSWORD, port=server.port, **kw) as ftp:
        assert ftp.pwd() == "/"


def test_retrbinary_and_storbinary_of_other_commands(server, rdir):
    """Commands other than RETR/STOR/APPE go through a data stream (ftp_data_open)."""
    name, local = rdir
    write(os.path.join(local, "n1"), b"1")
    with open_session(server) as ftp:
        ftp.cwd(name)
        out = []
        assert ftp.retrbinary("NLST", out.append).startswith("226")
        assert b"n1" in b"".join(out)
        resp = ftp.storbinary("STOU", io.BytesIO(b"unique data"))
        assert resp.startswith("226")
        stored = [n for n in os.listdir(local) if n != "n1"]
        assert len(stored) == 1 and read(os.path.join(local, stored[0])) == b"unique data"


def test_active_mode_set_pasv_false(server, rdir):
    name, local = rdir
    data = payload(200_000, 40)
    write(os.path.join(local, "a.bin"), data)
    ftp = FTP_TLS(cafile=CA) if server.tls else FTP()
    ftp.set_pasv(False)  # before connect: the library fixes the mode when connecting
    with ftp:
        ftp.connect("127.0.0.1", server.port)
        ftp.login(USER, PASSWORD)
        out = io.BytesIO()
        ftp.retrbinary("RETR %s/a.bin" % name, out.write)
        assert out.getvalue() == data
        ftp.storbinary("STOR %s/b.bin" % name, io.BytesIO(data))
        assert read(os.path.join(local, "b.bin")) == data
        with pytest.raises(ftpc.InvalidState):
            ftp.set_pasv(True)
