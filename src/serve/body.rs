//! Response bodies as lists of shared, immutable chunks, and the kept trace stored that way.
//!
//! `GET /_oracle/trace` must not copy the kept trace (up to `--trace-cap`, 64 MiB by default)
//! for each request: a client that never reads would keep its copy alive. The trace is kept as
//! frozen [`Bytes`] chunks; a response holds reference-counted handles to them (a few bytes per
//! chunk) plus a copy of the unfrozen tail (under [`CHUNK_BYTES`]).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Body, Bytes, Frame, SizeHint};

/// Size at which the tail of the kept trace is frozen into a shared chunk.
pub(crate) const CHUNK_BYTES: usize = 64 * 1024;

/// A response body: chunks sent in order, its exact length known up front (so it goes out
/// with `content-length`, as a `bytes` body does).
#[derive(Debug, Default)]
pub(crate) struct ChunkBody {
    chunks: VecDeque<Bytes>,
    remaining: u64,
}

impl ChunkBody {
    /// A body of `chunks`, in order (empty ones are skipped).
    pub(crate) fn new(chunks: impl IntoIterator<Item = Bytes>) -> Self {
        let chunks: VecDeque<Bytes> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        Self { chunks, remaining }
    }

    /// The chunks still to send.
    #[cfg(test)]
    pub(crate) fn chunks(&self) -> impl Iterator<Item = &Bytes> {
        self.chunks.iter()
    }

    /// The whole body, copied (for tests).
    #[cfg(test)]
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        self.chunks.iter().flat_map(|c| c.iter().copied()).collect()
    }
}

impl From<Bytes> for ChunkBody {
    fn from(b: Bytes) -> Self {
        Self::new([b])
    }
}

impl Body for ChunkBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        Poll::Ready(this.chunks.pop_front().map(|c| {
            this.remaining -= c.len() as u64;
            Ok(Frame::data(c))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// Newline-terminated lines, appended into a tail of [`CHUNK_BYTES`] that is frozen into a
/// shared chunk when the next line does not fit (a line that long is a chunk of its own, not
/// copied). Chunks are trimmed when frozen, so the kept trace costs about its length.
#[derive(Debug, Default)]
pub(crate) struct Chunks {
    frozen: Vec<Bytes>,
    tail: Vec<u8>,
    len: usize,
}

impl Chunks {
    /// Append `line` and a newline.
    pub(crate) fn push_line(&mut self, line: String) {
        let mut line = line.into_bytes();
        line.push(b'\n');
        self.len += line.len();
        if line.len() >= CHUNK_BYTES {
            self.freeze_tail();
            self.frozen.push(trimmed(line));
        } else {
            if self.tail.len() + line.len() > CHUNK_BYTES {
                self.freeze_tail();
            }
            if self.tail.capacity() == 0 {
                self.tail.reserve_exact(CHUNK_BYTES);
            }
            self.tail.extend_from_slice(&line);
        }
    }

    fn freeze_tail(&mut self) {
        if !self.tail.is_empty() {
            self.frozen.push(trimmed(std::mem::take(&mut self.tail)));
        }
    }

    /// Bytes appended so far (newlines included).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// A body of `head` followed by every line: the frozen chunks shared, the tail copied.
    pub(crate) fn body(&self, head: &Bytes) -> ChunkBody {
        let tail = Bytes::copy_from_slice(&self.tail);
        ChunkBody::new(
            std::iter::once(head.clone())
                .chain(self.frozen.iter().cloned())
                .chain(std::iter::once(tail)),
        )
    }
}

/// `v` as a chunk, its spare capacity given back when it is more than an eighth (a `Bytes`
/// keeps its whole allocation).
fn trimmed(mut v: Vec<u8>) -> Bytes {
    if v.capacity() - v.len() > v.len() / 8 {
        v.shrink_to_fit();
    }
    Bytes::from(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn chunks_hold_every_line_in_order_and_bodies_share_the_frozen_ones() {
        let mut c = Chunks::default();
        let mut expected = b"head\n".to_vec();
        for i in 0..3000 {
            let line = format!("{i:>40}");
            expected.extend_from_slice(line.as_bytes());
            expected.push(b'\n');
            c.push_line(line);
        }
        let big = "x".repeat(CHUNK_BYTES * 2);
        expected.extend_from_slice(big.as_bytes());
        expected.push(b'\n');
        c.push_line(big);
        c.push_line("last".to_owned());
        expected.extend_from_slice(b"last\n");
        assert_eq!(c.len() + 5, expected.len());
        let head = Bytes::from_static(b"head\n");
        let a = c.body(&head);
        let b = c.body(&head);
        assert_eq!(a.to_vec(), expected);
        assert_eq!(a.size_hint().exact(), Some(expected.len() as u64));
        // Every frozen chunk of the second body is the same allocation as the first's.
        let shared = a
            .chunks()
            .zip(b.chunks())
            .filter(|(x, y)| x.as_ptr() == y.as_ptr())
            .map(|(x, _)| x.len())
            .sum::<usize>();
        assert!(
            shared + CHUNK_BYTES >= expected.len(),
            "{shared} of {}",
            expected.len()
        );
    }
}
