// Command ftpget downloads one file over FTP or FTPS, with certificate verification, a
// progress line, and Ctrl-C cancelling the transfer cleanly.
//
//	FTP_PASSWORD=secret ftpget [-ca ca.pem] [-resume] ftpes://user@host/path/file.bin [local]
//
// URLs: ftp:// (plain), ftpes:// (explicit TLS, data protected), ftps:// (implicit TLS).
// The password comes from FTP_PASSWORD when the URL holds none; -ca (or FTPC_CA_FILE) adds a
// private CA to the system's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path"
	"time"

	"ftpc.dev/ftpc"
)

func main() {
	ca := flag.String("ca", os.Getenv("FTPC_CA_FILE"), "PEM file of a CA to trust besides the system's")
	resume := flag.Bool("resume", false, "continue a partial download left by an earlier run")
	timeout := flag.Duration("timeout", 0, "give up after this long (0: never)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: ftpget [-ca FILE] [-resume] [-timeout D] URL [LOCAL]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 1 || flag.NArg() > 2 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*ca, *resume, *timeout, flag.Arg(0), flag.Arg(1)); err != nil {
		fmt.Fprintln(os.Stderr, "ftpget:", err)
		var e *ftpc.Error
		if errors.As(err, &e) && e.ReplyCode != 0 {
			fmt.Fprintln(os.Stderr, "server reply code:", e.ReplyCode)
		}
		os.Exit(1)
	}
}

func run(ca string, resume bool, timeout time.Duration, url, local string) error {
	// Ctrl-C cancels the context: the transfer stops at once and the partial file stays for
	// -resume.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	opts := []ftpc.Option{ftpc.WithPassword(os.Getenv("FTP_PASSWORD"))}
	if ca != "" {
		opts = append(opts, ftpc.WithCAFile(ca))
	}
	c, remote, err := ftpc.DialURL(ctx, url, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	if local == "" {
		local = path.Base(remote)
	}
	xfer := []ftpc.TransferOption{ftpc.OnProgress(func(done, total int64) error {
		if total > 0 {
			fmt.Fprintf(os.Stderr, "\r%s: %d of %d bytes (%d%%)", local, done, total, done*100/total)
		} else {
			fmt.Fprintf(os.Stderr, "\r%s: %d bytes", local, done)
		}
		return nil
	})}
	if resume {
		xfer = append(xfer, ftpc.Resume())
	}
	err = c.DownloadFile(ctx, remote, local, xfer...)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	return c.Quit(ctx)
}
