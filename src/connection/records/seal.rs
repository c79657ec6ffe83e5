//! Sealing records in place, where the plaintext already lies: an upload's bytes are read from
//! their source straight into the record that carries them, and encrypted there.
//!
//! rustls' own encrypters take the plaintext by reference and copy it into a record they
//! allocate (one allocation and one copy per record); this does the same sealing over our
//! buffer with the same primitives (ring's AEADs, rustls' nonce and additional-data
//! constructions). Opening stays rustls' (`MessageDecrypter`), and the unit tests open what
//! this seals with it, for every suite and version.

use ring::aead::{self, Aad, LessSafeKey, UnboundKey};
use rustls::crypto::cipher::{make_tls12_aad, make_tls13_aad, Iv, Nonce};
use rustls::{ConnectionTrafficSecrets, ContentType, ProtocolVersion, SupportedCipherSuite};

/// A record's header: content type, legacy version, length.
pub(super) const HEADER_LEN: usize = 5;
const TAG_LEN: usize = 16;
/// TLS 1.2 AES-GCM sends 8 bytes of the nonce in each record (RFC 5288 3).
const GCM_EXPLICIT_NONCE_LEN: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Construction {
    /// RFC 8446 5.2: the content type is sealed after the plaintext; the header is the AAD.
    Tls13,
    /// RFC 5288: 4 fixed bytes of nonce, 8 sent in the record.
    Tls12Gcm,
    /// RFC 7905: the nonce is the IV xor the sequence number, as in TLS 1.3.
    Tls12Chacha,
}

/// The write key of a TLS data connection.
pub(super) struct Sealer {
    key: LessSafeKey,
    iv: Iv,
    construction: Construction,
}

impl Sealer {
    pub(super) fn new(
        suite: SupportedCipherSuite,
        secrets: ConnectionTrafficSecrets,
    ) -> Result<Sealer, rustls::Error> {
        let (algorithm, key, iv) = match secrets {
            ConnectionTrafficSecrets::Aes128Gcm { key, iv } => (&aead::AES_128_GCM, key, iv),
            ConnectionTrafficSecrets::Aes256Gcm { key, iv } => (&aead::AES_256_GCM, key, iv),
            ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => {
                (&aead::CHACHA20_POLY1305, key, iv)
            }
            _ => {
                return Err(rustls::Error::General(
                    "the negotiated cipher suite cannot be used on data connections".into(),
                ))
            }
        };
        let construction = match suite {
            SupportedCipherSuite::Tls13(_) => Construction::Tls13,
            SupportedCipherSuite::Tls12(_) if algorithm == &aead::CHACHA20_POLY1305 => {
                Construction::Tls12Chacha
            }
            SupportedCipherSuite::Tls12(_) => Construction::Tls12Gcm,
        };
        let key = UnboundKey::new(algorithm, key.as_ref())
            .map_err(|_| rustls::Error::General("the traffic key has the wrong length".into()))?;
        Ok(Sealer {
            key: LessSafeKey::new(key),
            iv,
            construction,
        })
    }

    /// Where the plaintext starts in a record (after the header and any explicit nonce).
    pub(super) fn payload_offset(&self) -> usize {
        HEADER_LEN
            + match self.construction {
                Construction::Tls12Gcm => GCM_EXPLICIT_NONCE_LEN,
                _ => 0,
            }
    }

    /// The bytes a record takes beyond its plaintext.
    pub(super) fn overhead(&self) -> usize {
        self.payload_offset()
            + TAG_LEN
            + match self.construction {
                Construction::Tls13 => 1,
                _ => 0,
            }
    }

    /// Seals the record in `record`, whose plaintext of `len` bytes already lies at
    /// [`Self::payload_offset`]; `record` must hold at least `len + overhead()` bytes. Returns
    /// the record's length.
    pub(super) fn seal(
        &self,
        record: &mut [u8],
        typ: ContentType,
        len: usize,
        seq: u64,
    ) -> Result<usize, rustls::Error> {
        let total = len + self.overhead();
        let offset = self.payload_offset();
        let body_len = total - HEADER_LEN;
        let nonce = Nonce::new(&self.iv, seq).0;
        // The additional data: TLS 1.3's is the record header (5 bytes), TLS 1.2's 13 bytes.
        let mut aad = [0u8; 13];
        let (outer_typ, sealed_len, aad) = match self.construction {
            Construction::Tls13 => {
                // The real content type goes inside, after the plaintext.
                record[offset + len] = typ.into();
                aad[..5].copy_from_slice(&make_tls13_aad(body_len));
                (ContentType::ApplicationData, len + 1, &aad[..5])
            }
            Construction::Tls12Gcm | Construction::Tls12Chacha => {
                aad.copy_from_slice(&make_tls12_aad(seq, typ, ProtocolVersion::TLSv1_2, len));
                (typ, len, &aad[..])
            }
        };
        if self.construction == Construction::Tls12Gcm {
            record[HEADER_LEN..offset].copy_from_slice(&nonce[4..]);
        }
        let version: u16 = ProtocolVersion::TLSv1_2.into();
        record[0] = outer_typ.into();
        record[1..3].copy_from_slice(&version.to_be_bytes());
        record[3..5].copy_from_slice(&(body_len as u16).to_be_bytes());
        let tag = self
            .key
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut record[offset..offset + sealed_len],
            )
            .map_err(|_| rustls::Error::EncryptError)?;
        record[offset + sealed_len..total].copy_from_slice(tag.as_ref());
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::crypto::cipher::{AeadKey, InboundOpaqueMessage, MessageDecrypter};
    use rustls::crypto::ring::cipher_suite;

    fn key() -> AeadKey {
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = i as u8 * 7 + 1;
        }
        AeadKey::from(bytes)
    }

    fn iv() -> Iv {
        Iv::new([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 12])
    }

    /// rustls only lets 32-byte keys be built from outside, so AES-128-GCM (which differs
    /// from AES-256-GCM only in its key's length) is covered by the real servers' tests.
    fn secrets(algorithm: &str) -> ConnectionTrafficSecrets {
        match algorithm {
            "aes256" => ConnectionTrafficSecrets::Aes256Gcm {
                key: key(),
                iv: iv(),
            },
            _ => ConnectionTrafficSecrets::Chacha20Poly1305 {
                key: key(),
                iv: iv(),
            },
        }
    }

    /// Seals with ours and opens with rustls' decrypter for the same keys.
    fn round_trip(suite: SupportedCipherSuite, algorithm: &str) {
        let sealer = Sealer::new(suite, secrets(algorithm)).unwrap();
        let mut opener: Box<dyn MessageDecrypter> =
            super::super::decrypter(suite, secrets(algorithm)).unwrap();
        for (seq, len) in [
            (0u64, 0usize),
            (1, 1),
            (2, 1000),
            (3, 16 * 1024),
            (1 << 40, 77),
        ] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut record = vec![0u8; len + sealer.overhead()];
            let offset = sealer.payload_offset();
            record[offset..offset + len].copy_from_slice(&plaintext);
            let typ = if len == 1 {
                ContentType::Alert
            } else {
                ContentType::ApplicationData
            };
            let total = sealer.seal(&mut record, typ, len, seq).unwrap();
            assert_eq!(total, record.len());
            let body_len = u16::from_be_bytes([record[3], record[4]]) as usize;
            assert_eq!(body_len, total - HEADER_LEN);
            let outer = ContentType::from(record[0]);
            let version = ProtocolVersion::from(u16::from_be_bytes([record[1], record[2]]));
            let message = InboundOpaqueMessage::new(outer, version, &mut record[HEADER_LEN..]);
            let opened = opener.decrypt(message, seq).unwrap();
            assert_eq!(opened.typ, typ, "{algorithm} seq {seq}");
            assert_eq!(opened.payload, &plaintext[..], "{algorithm} seq {seq}");
        }
        // A different sequence number does not open.
        let mut record = vec![0u8; 10 + sealer.overhead()];
        sealer
            .seal(&mut record, ContentType::ApplicationData, 10, 5)
            .unwrap();
        let message =
            InboundOpaqueMessage::new(ContentType::from(record[0]), ProtocolVersion::TLSv1_2, {
                &mut record[HEADER_LEN..]
            });
        assert!(opener.decrypt(message, 6).is_err());
    }

    #[test]
    fn tls13_records_open_with_rustls() {
        round_trip(cipher_suite::TLS13_AES_256_GCM_SHA384, "aes256");
        round_trip(cipher_suite::TLS13_CHACHA20_POLY1305_SHA256, "chacha");
    }

    #[test]
    fn tls12_records_open_with_rustls() {
        round_trip(
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            "aes256",
        );
        round_trip(
            cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            "chacha",
        );
    }
}
