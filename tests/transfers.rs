//! Every byte of every transfer, both directions, in all four data connection modes, against
//! all four real servers.

mod common;

use common::{pattern, sha256, Kind, Mode, Server};

const SIZES: [usize; 4] = [0, 1, 1024 * 1024 + 7, 64 * 1024 * 1024];

fn round_trips(kind: Kind, mode: Mode) {
    let server = Server::start(kind);
    let mut ftp = server.client(mode);
    for (i, &size) in SIZES.iter().enumerate() {
        let data = pattern(size, i as u64 + 1);
        let want = sha256(&data);

        // Download a file the server has.
        let name = format!("down-{size}.bin");
        server.put_file(&name, &data);
        let mut got = Vec::new();
        let n = server.check(ftp.retr(&name, &mut got), &format!("{mode:?} RETR {name}"));
        assert_eq!(n as usize, size, "{kind:?} {mode:?} RETR byte count");
        assert_eq!(sha256(&got), want, "{kind:?} {mode:?} RETR {size} bytes");

        // Upload, then compare what the server stored.
        let name = format!("up-{size}.bin");
        let n = server.check(
            ftp.stor(&name, &mut &data[..]),
            &format!("{mode:?} STOR {name}"),
        );
        assert_eq!(n as usize, size);
        assert_eq!(
            sha256(&server.read_file(&name)),
            want,
            "{kind:?} {mode:?} STOR {size} bytes"
        );
        assert_eq!(ftp.size(&name).expect("SIZE"), size as u64);
    }
    ftp.quit().expect("QUIT");
}

macro_rules! matrix {
    ($($name:ident: $kind:ident, $mode:ident;)*) => {
        $(#[test]
        fn $name() {
            round_trips(Kind::$kind, Mode::$mode);
        })*
    };
}

matrix! {
    pyftpdlib_epsv: Pyftpdlib, Epsv;
    pyftpdlib_pasv: Pyftpdlib, Pasv;
    pyftpdlib_port: Pyftpdlib, Port;
    pyftpdlib_eprt: Pyftpdlib, Eprt;
    vsftpd_epsv: Vsftpd, Epsv;
    vsftpd_pasv: Vsftpd, Pasv;
    vsftpd_port: Vsftpd, Port;
    vsftpd_eprt: Vsftpd, Eprt;
    proftpd_epsv: Proftpd, Epsv;
    proftpd_pasv: Proftpd, Pasv;
    proftpd_port: Proftpd, Port;
    proftpd_eprt: Proftpd, Eprt;
    pureftpd_epsv: PureFtpd, Epsv;
    pureftpd_pasv: PureFtpd, Pasv;
    pureftpd_port: PureFtpd, Port;
    pureftpd_eprt: PureFtpd, Eprt;
}
