//! Line-ending conversion for TYPE A transfers: the network form is CRLF, the local form LF.
//! Both converters are streaming: a CR at the end of one block is resolved by the next.

/// Network to local: CRLF becomes LF; a CR not followed by LF is kept.
#[derive(Debug, Default)]
pub struct CrlfDecoder {
    held_cr: bool,
}

impl CrlfDecoder {
    /// Converts `input`, appending to `out` (which is not cleared).
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + 1);
        let mut rest = input;
        if self.held_cr {
            self.held_cr = false;
            if rest.first() != Some(&b'\n') {
                out.push(b'\r');
            }
        }
        while let Some(pos) = rest.iter().position(|&b| b == b'\r') {
            out.extend_from_slice(&rest[..pos]);
            match rest.get(pos + 1) {
                Some(b'\n') => {}
                Some(_) => out.push(b'\r'),
                None => self.held_cr = true,
            }
            rest = &rest[pos + 1..];
        }
        out.extend_from_slice(rest);
    }

    /// Ends the stream: a CR held back from the last block is emitted.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.held_cr) {
            out.push(b'\r');
        }
    }
}

/// Local to network: a bare LF becomes CRLF; an existing CRLF is left alone.
#[derive(Debug, Default)]
pub struct CrlfEncoder {
    last_was_cr: bool,
}

impl CrlfEncoder {
    /// Converts `input`, appending to `out` (which is not cleared).
    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 32 + 2);
        let mut start = 0;
        for (i, &b) in input.iter().enumerate() {
            if b == b'\n' {
                let prev_cr = if i == 0 {
                    self.last_was_cr
                } else {
                    input[i - 1] == b'\r'
                };
                if !prev_cr {
                    out.extend_from_slice(&input[start..i]);
                    out.push(b'\r');
                    start = i;
                }
            }
        }
        out.extend_from_slice(&input[start..]);
        if let Some(&last) = input.last() {
            self.last_was_cr = last == b'\r';
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(input: &[u8], piece: usize) -> Vec<u8> {
        let mut d = CrlfDecoder::default();
        let mut out = Vec::new();
        for chunk in input.chunks(piece) {
            d.decode(chunk, &mut out);
        }
        d.finish(&mut out);
        out
    }

    fn encode_in_pieces(input: &[u8], piece: usize) -> Vec<u8> {
        let mut e = CrlfEncoder::default();
        let mut out = Vec::new();
        for chunk in input.chunks(piece) {
            e.encode(chunk, &mut out);
        }
        out
    }

    #[test]
    fn decodes_across_block_boundaries() {
        let input = b"a\r\nbb\r\n\r\nlone\rcr\r\nend\r";
        for piece in 1..=input.len() {
            assert_eq!(
                decode_in_pieces(input, piece),
                b"a\nbb\n\nlone\rcr\nend\r",
                "piece {piece}"
            );
        }
    }

    #[test]
    fn encodes_across_block_boundaries() {
        let input = b"a\nbb\r\n\nx\ry\n";
        for piece in 1..=input.len() {
            assert_eq!(
                encode_in_pieces(input, piece),
                b"a\r\nbb\r\n\r\nx\ry\r\n",
                "piece {piece}"
            );
        }
    }

    #[test]
    fn round_trip() {
        let local = b"line one\nline two\n\nlast without newline";
        let wire = encode_in_pieces(local, 5);
        assert_eq!(decode_in_pieces(&wire, 3), local);
    }
}
