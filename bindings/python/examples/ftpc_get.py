#!/usr/bin/env python3
"""Download one file over FTP or FTPS with ftpc: verified TLS, progress, resume, retries.

    python ftpc_get.py URL [LOCAL] [--cafile CA.pem] [--password-env VAR]

URL is ftp://, ftpes:// (explicit TLS) or ftps:// (implicit TLS), e.g.
ftpes://user@ftp.example.com/pub/file.bin. The password comes from the environment variable
named by --password-env (FTP_PASSWORD by default), never from the command line. An
interrupted download (Ctrl-C, a lost connection) continues where it stopped when run again.
"""

import argparse
import os
import posixpath
import sys
import time

import ftpc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("local", nargs="?")
    ap.add_argument("--cafile", help="PEM file of extra trusted CA certificates")
    ap.add_argument("--password-env", default="FTP_PASSWORD")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    tls = {"cafile": args.cafile} if args.cafile else {}
    started = time.monotonic()

    def progress(done, total):
        if args.quiet:
            return
        rate = done / max(time.monotonic() - started, 1e-6) / 1e6
        of = " of %d" % total if total is not None else ""
        sys.stderr.write("\r%d%s bytes, %.1f MB/s" % (done, of, rate))

    try:
        with ftpc.connect(args.url, os.environ.get(args.password_env), timeout=30,
                          retry=ftpc.RetryPolicy(max_attempts=4), **tls) as ftp:
            remote = ftp.url_path
            # Server text is untrusted: show it with repr(), never raw, on a terminal.
            local = args.local or posixpath.basename(remote) or "download"
            ftp.download_file(remote, local, resume=True, progress=progress)
            if not args.quiet:
                sys.stderr.write("\n")
            print("%s -> %s (%d bytes%s)" % (remote, local, os.path.getsize(local),
                                            ", TLS" if ftp.is_tls() else ""))
    except ftpc.Error as e:
        # e.message names the operation and the server's reply; e.reply_code is the code.
        sys.exit("ftpc_get: %s [%s, reply %d]" % (ascii(e.message), e.name, e.reply_code))
    except KeyboardInterrupt:
        sys.exit("\nftpc_get: interrupted; run again to resume")


if __name__ == "__main__":
    main()
