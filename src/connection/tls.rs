//! TLS with rustls: the client configuration for one control connection (its own session
//! store, so data connections resume the control connection's session and never another
//! server's), certificate verification and pinning, and error messages that name the cause.

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Resumption, Tls12ClientSessionValue,
    Tls13ClientSessionValue, WebPkiServerVerifier,
};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, NamedGroup, RootCertStore,
    SignatureScheme, SupportedProtocolVersion,
};

use crate::error::{Error, Result};
use crate::options::{TlsOptions, TlsVersion};

/// Everything needed to start TLS on this session's connections.
#[derive(Clone)]
pub(crate) struct TlsContext {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) server_name: ServerName<'static>,
    pub(crate) tickets: Arc<TicketCounter>,
}

/// Counts the TLS 1.3 tickets this session has received, so a data connection can tell
/// whether the server has finished its side of the handshake (see
/// `NetStream::await_session_ticket`).
#[derive(Debug, Default)]
pub(crate) struct TicketCounter {
    received: AtomicU64,
    /// Tickets in the store, not yet used (rustls uses each TLS 1.3 ticket once).
    stored: AtomicU64,
    /// Set after a data connection delivered no ticket in time: this server issues none there,
    /// so later connections do not wait for one.
    gave_up: AtomicBool,
}

impl TicketCounter {
    pub(crate) fn received(&self) -> u64 {
        self.received.load(Ordering::SeqCst)
    }

    /// TLS 1.3 tickets left for data connections to resume with.
    pub(crate) fn stored(&self) -> u64 {
        self.stored.load(Ordering::SeqCst)
    }

    pub(crate) fn worth_waiting(&self) -> bool {
        self.received() > 0 && !self.gave_up()
    }

    pub(crate) fn give_up(&self) {
        self.gave_up.store(true, Ordering::SeqCst);
    }

    /// Whether an upload's data connection was seen to deliver no ticket (ProFTPD issues none
    /// there under TLS 1.3).
    pub(crate) fn gave_up(&self) -> bool {
        self.gave_up.load(Ordering::SeqCst)
    }
}

/// rustls keeps at most this many TLS 1.3 tickets per server, dropping the oldest.
const TICKETS_KEPT: u64 = 8;

/// rustls's memory cache, counting the TLS 1.3 tickets stored in it.
#[derive(Debug)]
struct CountingStore {
    inner: ClientSessionMemoryCache,
    counter: Arc<TicketCounter>,
}

impl ClientSessionStore for CountingStore {
    fn set_kx_hint(&self, name: ServerName<'static>, group: NamedGroup) {
        self.inner.set_kx_hint(name, group)
    }

    fn kx_hint(&self, name: &ServerName<'_>) -> Option<NamedGroup> {
        self.inner.kx_hint(name)
    }

    fn set_tls12_session(&self, name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.inner.set_tls12_session(name, value)
    }

    fn tls12_session(&self, name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        self.inner.tls12_session(name)
    }

    fn remove_tls12_session(&self, name: &ServerName<'static>) {
        self.inner.remove_tls12_session(name)
    }

    fn insert_tls13_ticket(&self, name: ServerName<'static>, value: Tls13ClientSessionValue) {
        self.counter.received.fetch_add(1, Ordering::SeqCst);
        let _ = self
            .counter
            .stored
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some((n + 1).min(TICKETS_KEPT))
            });
        self.inner.insert_tls13_ticket(name, value)
    }

    fn take_tls13_ticket(&self, name: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        let ticket = self.inner.take_tls13_ticket(name);
        match ticket {
            Some(_) => {
                let _ = self
                    .counter
                    .stored
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                        Some(n.saturating_sub(1))
                    });
            }
            None => self.counter.stored.store(0, Ordering::SeqCst),
        }
        ticket
    }
}

impl fmt::Debug for TlsContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsContext")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// The system's trust store, read once per process (SSL_CERT_FILE and SSL_CERT_DIR are
/// honoured at that moment).
fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut store = RootCertStore::empty();
            let loaded = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(loaded.certs);
            Arc::new(store)
        })
        .clone()
}

impl TlsContext {
    /// Builds the configuration for one control connection to `host`.
    pub(crate) fn new(options: &TlsOptions, host: &str) -> Result<TlsContext> {
        let name = options.server_name.as_deref().unwrap_or(host);
        let name = name.trim_start_matches('[').trim_end_matches(']');
        let server_name = ServerName::try_from(name.to_string()).map_err(|_| {
            Error::InvalidArgument(format!("{name:?} is not a valid TLS server name"))
        })?;
        let provider = provider();
        let verifier = Arc::new(build_verifier(options, provider.clone())?);
        let versions = protocol_versions(options)?;
        let builder = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&versions)
            .map_err(|e| Error::InvalidArgument(format!("TLS versions: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match &options.client_cert {
            Some((cert, key)) => {
                let certs = load_certs(cert)?;
                let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                    Error::InvalidArgument(format!("client key {}: {e}", key.display()))
                })?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| Error::InvalidArgument(format!("client certificate: {e}")))?
            }
            None => builder.with_no_client_auth(),
        };
        // One store per control connection: tickets issued on the control connection and on
        // every data connection land here, so the 10th data connection still resumes.
        let tickets = Arc::new(TicketCounter::default());
        // Data connections hand their records' keys over from rustls to `records.rs`, which
        // opens them in place (rustls keeps tickets and key updates).
        config.enable_secret_extraction = true;
        config.resumption = if options.session_reuse {
            Resumption::store(Arc::new(CountingStore {
                inner: ClientSessionMemoryCache::new(16),
                counter: tickets.clone(),
            }))
        } else {
            Resumption::disabled()
        };
        Ok(TlsContext {
            config: Arc::new(config),
            server_name,
            tickets,
        })
    }
}

fn protocol_versions(options: &TlsOptions) -> Result<Vec<&'static SupportedProtocolVersion>> {
    let all = [
        (TlsVersion::Tls12, &rustls::version::TLS12),
        (TlsVersion::Tls13, &rustls::version::TLS13),
    ];
    let min = options.min_version.unwrap_or(TlsVersion::Tls12);
    let max = options.max_version.unwrap_or(TlsVersion::Tls13);
    let versions: Vec<_> = all
        .iter()
        .filter(|(v, _)| *v >= min && *v <= max)
        .map(|(_, s)| *s)
        .collect();
    if versions.is_empty() {
        return Err(Error::InvalidArgument(
            "the minimum TLS version is above the maximum".into(),
        ));
    }
    Ok(versions)
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let bad = |e: &dyn fmt::Display| {
        Error::InvalidArgument(format!("certificate file {}: {e}", path.display()))
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(&e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(&e))?;
    if certs.is_empty() {
        return Err(bad(&"no PEM certificate in it"));
    }
    Ok(certs)
}

/// The certificates in PEM text; an error naming `what` when there are none or one is bad.
pub(crate) fn parse_pem_certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidArgument(format!("{what}: {e}")))?;
    if certs.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{what}: no PEM certificate in it"
        )));
    }
    Ok(certs)
}

fn build_verifier(options: &TlsOptions, provider: Arc<CryptoProvider>) -> Result<FtpcVerifier> {
    if options.dangerous_disable_verification {
        return Ok(FtpcVerifier {
            webpki: None,
            pins: Vec::new(),
            provider,
        });
    }
    if !options.pinned_sha256.is_empty() {
        return Ok(FtpcVerifier {
            webpki: None,
            pins: options.pinned_sha256.clone(),
            provider,
        });
    }
    let mut roots = if options.use_system_roots {
        (*system_roots()).clone()
    } else {
        RootCertStore::empty()
    };
    if let Some(file) = &options.ca_file {
        for cert in load_certs(file)? {
            roots
                .add(cert)
                .map_err(|e| Error::InvalidArgument(format!("CA file {}: {e}", file.display())))?;
        }
    }
    for pem in &options.ca_pem {
        for cert in parse_pem_certs(pem, "CA PEM text")? {
            roots
                .add(cert)
                .map_err(|e| Error::InvalidArgument(format!("CA PEM text: {e}")))?;
        }
    }
    if let Some(dir) = &options.ca_dir {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Error::InvalidArgument(format!("CA directory {}: {e}", dir.display())))?;
        for entry in entries.flatten() {
            if let Ok(iter) = CertificateDer::pem_file_iter(entry.path()) {
                roots.add_parsable_certificates(iter.flatten());
            }
        }
    }
    if roots.is_empty() {
        return Err(Error::InvalidArgument(
            "no trusted CA certificates: the system store is empty or off and no CA file was given"
                .into(),
        ));
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| Error::InvalidArgument(format!("certificate verifier: {e}")))?;
    Ok(FtpcVerifier {
        webpki: Some(webpki),
        pins: Vec::new(),
        provider,
    })
}

/// WebPKI verification, or pinning, or (only when asked for by its dangerous name) nothing.
/// Handshake signatures are always checked.
#[derive(Debug)]
struct FtpcVerifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    pins: Vec<[u8; 32]>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for FtpcVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if let Some(webpki) = &self.webpki {
            return webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            );
        }
        if self.pins.is_empty() {
            // Verification explicitly disabled by the caller.
            return Ok(ServerCertVerified::assertion());
        }
        let cert_hash = sha256(end_entity.as_ref());
        let spki_hash = subject_public_key_info(end_entity.as_ref()).map(sha256);
        let matches = self
            .pins
            .iter()
            .any(|pin| *pin == cert_hash || Some(*pin) == spki_hash);
        if matches {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// One DER element: (tag, contents, rest).
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8], usize)> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest, len_bytes) = if first < 0x80 {
        (usize::from(first), rest, 1)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..], 1 + n)
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..], 1 + len_bytes + len))
}

/// The DER SubjectPublicKeyInfo (tag and length included) of an X.509 certificate, as curl's
/// `sha256//` public key pins hash it.
pub(crate) fn subject_public_key_info(cert: &[u8]) -> Option<&[u8]> {
    let (0x30, cert_body, _, _) = der_element(cert)? else {
        return None;
    };
    let (0x30, tbs, _, _) = der_element(cert_body)? else {
        return None;
    };
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = der_element(rest)?.2; // [0] version
    }
    for _ in 0..5 {
        // serialNumber, signature, issuer, validity, subject
        rest = der_element(rest)?.2;
    }
    let (tag, _, _, total) = der_element(rest)?;
    (tag == 0x30).then(|| &rest[..total])
}

/// Parses a pin: 64 hex digits (colons allowed) or curl's `sha256//BASE64`.
pub fn parse_pin(text: &str) -> Result<[u8; 32]> {
    let bad = || {
        Error::InvalidArgument(format!(
            "pin {text:?} is neither 64 hex digits nor sha256//BASE64"
        ))
    };
    let bytes = if let Some(b64) = text.strip_prefix("sha256//") {
        base64_decode(b64).ok_or_else(bad)?
    } else {
        let hex: String = text.chars().filter(|c| *c != ':').collect();
        if hex.len() != 64 {
            return Err(bad());
        }
        (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
            .collect::<std::result::Result<Vec<u8>, _>>()
            .map_err(|_| bad())?
    };
    bytes.try_into().map_err(|_| bad())
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// A one-line description of a rustls failure that names the cause.
pub(crate) fn describe(err: &rustls::Error) -> String {
    use rustls::Error as E;
    match err {
        E::InvalidCertificate(cert) => {
            let why = match cert {
                CertificateError::UnknownIssuer => {
                    "unknown issuer (not signed by a trusted CA)".to_string()
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    "name mismatch (the certificate is not valid for this host)".to_string()
                }
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    "expired".to_string()
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    "not valid yet".to_string()
                }
                CertificateError::ApplicationVerificationFailure => {
                    "it does not match the pinned SHA-256".to_string()
                }
                other => certificate_problem_in_words(other),
            };
            format!("certificate verification failed: {why}")
        }
        E::AlertReceived(alert) => format!("handshake failure: the server sent alert {alert:?}"),
        other => format!("handshake failure: {other}"),
    }
}

/// The less common certificate failures, said in words with what to do about them (never the
/// Debug form of a library's error).
fn certificate_problem_in_words(err: &CertificateError) -> String {
    let debug = format!("{err:?}");
    let has = |name: &str| debug.contains(name);
    if has("CaUsedAsEndEntity") {
        "the server presents a CA certificate as its own (a self-signed certificate that is \
         also its own CA): trust it by pinning its SHA-256 (TlsOptions::pinned_sha256, \
         ftp_options_add_tls_pin), or give the server a certificate signed by a CA"
            .into()
    } else if has("Revoked") {
        "the certificate was revoked".into()
    } else if has("BadSignature") || has("InvalidSignature") {
        "the certificate's signature does not verify".into()
    } else if has("BadEncoding") || has("BadDer") {
        "the certificate is malformed".into()
    } else if has("NotValidForName") {
        "name mismatch (the certificate is not valid for this host)".into()
    } else if has("UnsupportedSignatureAlgorithm") || has("UnsupportedCriticalExtension") {
        "the certificate uses an algorithm or a critical extension this client does not \
         support"
            .into()
    } else if has("InvalidPurpose") || has("RequiredEkuNotFound") {
        "the certificate is not meant for TLS servers (extended key usage)".into()
    } else if has("PathLenConstraintViolated") || has("NameConstraintViolation") {
        "the certificate chain breaks its CA's constraints".into()
    } else {
        "the certificate could not be verified (an unusual chain or certificate); pin its \
         SHA-256 if you trust this server, or give it a certificate from a CA"
            .into()
    }
}

/// The rustls error inside an I/O error, if there is one.
pub(crate) fn rustls_error(err: &std::io::Error) -> Option<&rustls::Error> {
    err.get_ref()?.downcast_ref::<rustls::Error>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_parse() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert_eq!(parse_pin(hex).unwrap()[1], 0x11);
        let colons: String = hex
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(parse_pin(&colons).unwrap(), parse_pin(hex).unwrap());
        // 32 zero bytes in base64.
        let b64 = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        assert_eq!(parse_pin(b64).unwrap(), [0u8; 32]);
        assert!(parse_pin("abc").is_err());
        assert!(parse_pin("sha256//!!").is_err());
        assert!(parse_pin("sha256//AAAA").is_err());
    }

    #[test]
    fn spki_of_garbage_is_none() {
        assert_eq!(subject_public_key_info(b""), None);
        assert_eq!(subject_public_key_info(b"\x30\x03\x30\x01"), None);
        assert_eq!(
            subject_public_key_info(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            None
        );
    }
}
