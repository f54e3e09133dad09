//! Value formats: how the random part of a code, token, client id or secret is written, after
//! its prefix. A profile knob per kind of value ([`crate::Profile::code_format`] and the rest),
//! so that a profile can describe a server whose values are not FastMCP's.
//!
//! A value is stored as a key of random bytes; its text is `prefix + format(key)`, and a
//! presented text names a stored value iff it is exactly that text (the same equality as a
//! lookup by string): upper-case hex, padding or a character outside the alphabet never match.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::keys::{index_table, nibble, parse_hex_into, push_hex};
use crate::rng::DrawRng;

/// The text of a random value after its prefix, written in files and trace headers as
/// `"hex 32"`, `"base64url 43"`, `"alnum 42"` or `"uuid4"`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueFormat {
    /// This many lower-case hex digits (an even number) of half as many random bytes: Python's
    /// `secrets.token_hex(n / 2)`.
    Hex(u8),
    /// This many random characters of the base64url alphabet (RFC 4648 §5: `A`–`Z`, `a`–`z`,
    /// `0`–`9`, `-`, `_`), no padding: nanoid, `secrets.token_urlsafe`, Node's
    /// `randomBytes(k).toString('base64url')`.
    Base64Url(u8),
    /// This many random letters and digits (`A`–`Z`, `a`–`z`, `0`–`9`): Authlib's
    /// `generate_token`.
    Alnum(u8),
    /// A version-4 UUID, lower-case and hyphenated (`str(uuid.uuid4())`).
    Uuid4,
    /// A grant id and a secret, `base64url` characters each, joined by `:`: the values of one
    /// grant (its code, then its tokens) share the grant id. Cloudflare's
    /// `userId:grantId:secret` after the `userId:` prefix (`generateRandomString(16)` and
    /// `(32)`).
    Grant(u8, u8),
}

/// The base64url alphabet (RFC 4648 §5); its first 62 characters are the `alnum` alphabet.
const SYMBOLS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Each byte's index in [`SYMBOLS`], or `0xff`.
const SYMBOL_INDEX: [u8; 256] = index_table(SYMBOLS);

impl ValueFormat {
    /// FastMCP's authorization codes: `secrets.token_hex(16)`.
    pub const FASTMCP_CODE: Self = Self::Hex(32);
    /// FastMCP's access and refresh tokens and client secrets: `secrets.token_hex(32)`.
    pub const FASTMCP_TOKEN: Self = Self::Hex(64);

    /// How many bytes of a key a value of this format fills: one per random byte of hex and
    /// UUIDs, one per character (its symbol's index) of `base64url` and `alnum`.
    pub const fn bytes(self) -> usize {
        match self {
            Self::Hex(n) => n as usize / 2,
            Self::Base64Url(n) | Self::Alnum(n) => n as usize,
            Self::Uuid4 => 16,
            Self::Grant(g, s) => g as usize + s as usize,
        }
    }

    /// The number of symbols of a `base64url` or `alnum` format's alphabet.
    fn alphabet(self) -> Option<u8> {
        match self {
            Self::Base64Url(_) | Self::Grant(..) => Some(64),
            Self::Alnum(_) => Some(62),
            Self::Hex(_) | Self::Uuid4 => None,
        }
    }

    /// Whether the length makes sense: hex digits come in pairs; no value is empty.
    fn valid(self) -> Result<(), String> {
        match self {
            Self::Hex(n) if n == 0 || n % 2 == 1 => {
                Err(format!("hex {n}: an even number of digits, at least 2"))
            }
            Self::Base64Url(0) | Self::Alnum(0) | Self::Grant(0, _) | Self::Grant(_, 0) => {
                Err(format!("{self}: at least 1 character"))
            }
            Self::Hex(_) | Self::Base64Url(_) | Self::Alnum(_) | Self::Uuid4 | Self::Grant(..) => {
                Ok(())
            }
        }
    }

    /// A fresh value's key, drawn from `rng` (the first [`Self::bytes`] of `N`; the rest 0).
    /// Hex and UUID draw their bytes as `DrawRng::bytes` and `DrawRng::uuid4` do; `base64url`
    /// takes the low 6 bits of a byte per character; `alnum` a byte below 248 modulo 62 (no
    /// bias), drawing again for the rest.
    pub(crate) fn draw<const N: usize>(self, rng: &mut DrawRng) -> [u8; N] {
        let mut out = [0u8; N];
        let n = self.bytes().min(N);
        match self {
            Self::Uuid4 => out[..16].copy_from_slice(&rng.uuid4()),
            Self::Hex(_) => rng.fill(&mut out[..n]),
            Self::Base64Url(_) | Self::Grant(..) => {
                rng.fill(&mut out[..n]);
                out[..n].iter_mut().for_each(|b| *b &= 63);
            }
            Self::Alnum(_) => {
                let mut filled = 0;
                while filled < n {
                    let mut buf = [0u8; 64];
                    let want = (n - filled).min(64);
                    rng.fill(&mut buf[..want]);
                    for b in buf[..want].iter().filter(|&&b| b < 248) {
                        if filled < n {
                            out[filled] = b % 62;
                            filled += 1;
                        }
                    }
                }
            }
        }
        out
    }

    /// A fresh value's key in the grant of `parent` (the key of a value issued before in the
    /// same grant): [`Self::draw`], its grant id then taken from `parent` for a
    /// [`Self::Grant`] format.
    pub(crate) fn draw_in<const N: usize>(self, rng: &mut DrawRng, parent: &[u8]) -> [u8; N] {
        let mut out = self.draw::<N>(rng);
        if let Self::Grant(g, _) = self {
            let g = usize::from(g).min(N).min(parent.len());
            out[..g].copy_from_slice(&parent[..g]);
        }
        out
    }

    /// Append the text of `key` (its first [`Self::bytes`]) to `out`.
    pub(crate) fn push(self, out: &mut String, key: &[u8]) {
        let key = &key[..self.bytes().min(key.len())];
        match self {
            Self::Hex(_) => push_hex(out, key),
            Self::Base64Url(_) | Self::Alnum(_) => {
                out.extend(
                    key.iter()
                        .map(|&b| char::from(SYMBOLS[usize::from(b & 63)])),
                );
            }
            Self::Uuid4 => push_uuid(out, key),
            Self::Grant(g, _) => {
                let (id, secret) = key.split_at(usize::from(g).min(key.len()));
                Self::Base64Url(g).push(out, id);
                out.push(':');
                out.extend(
                    secret
                        .iter()
                        .map(|&b| char::from(SYMBOLS[usize::from(b & 63)])),
                );
            }
        }
    }

    /// The length of a value's text.
    pub const fn text_len(self) -> usize {
        match self {
            Self::Hex(n) | Self::Base64Url(n) | Self::Alnum(n) => n as usize,
            Self::Uuid4 => 36,
            Self::Grant(g, s) => g as usize + 1 + s as usize,
        }
    }

    /// `prefix` followed by the text of `key`.
    pub fn render(self, prefix: &str, key: &[u8]) -> String {
        let mut s = String::with_capacity(prefix.len() + self.text_len());
        s.push_str(prefix);
        self.push(&mut s, key);
        s
    }

    /// The key behind `text` when it is exactly this format's text of one (the rest of `N`
    /// zero), else `None`.
    pub fn parse<const N: usize>(self, text: &str) -> Option<[u8; N]> {
        let n = self.bytes();
        if n > N {
            return None;
        }
        let mut out = [0u8; N];
        let ok = match self {
            Self::Hex(len) => text.len() == usize::from(len) && parse_hex_into(text, &mut out[..n]),
            Self::Base64Url(len) | Self::Alnum(len) => {
                let size = self.alphabet().unwrap_or(64);
                text.len() == usize::from(len)
                    && text.bytes().zip(out.iter_mut()).all(|(c, o)| {
                        *o = SYMBOL_INDEX[usize::from(c)];
                        *o < size
                    })
            }
            Self::Uuid4 => parse_uuid(text, &mut out[..16]),
            Self::Grant(g, s) => {
                let g = usize::from(g);
                text.len() == g + 1 + usize::from(s)
                    && text.as_bytes()[g] == b':'
                    && text[..g]
                        .bytes()
                        .chain(text[g + 1..].bytes())
                        .zip(out.iter_mut())
                        .all(|(c, o)| {
                            *o = SYMBOL_INDEX[usize::from(c)];
                            *o < 64
                        })
            }
        };
        ok.then_some(out)
    }

    /// `prefix` + this format's text, the key behind it.
    pub(crate) fn parse_prefixed<const N: usize>(
        self,
        prefix: &str,
        text: &str,
    ) -> Option<[u8; N]> {
        self.parse(text.strip_prefix(prefix)?)
    }

    /// The formats `rest` is a value of, most specific first: a lower-case UUID; lower-case hex
    /// of whole bytes; letters and digits; base64url characters.
    #[cfg(any(feature = "diff", test))]
    pub(crate) fn fits(rest: &str) -> Vec<Self> {
        let Some(len) = u8::try_from(rest.len()).ok().filter(|&l| l > 0) else {
            return Vec::new();
        };
        if parse_uuid(rest, &mut [0; 16]) {
            return vec![Self::Uuid4];
        }
        if let Some((g, secret)) = rest.split_once(':') {
            let grant = u8::try_from(g.len())
                .ok()
                .zip(u8::try_from(secret.len()).ok())
                .map(|(g, s)| Self::Grant(g, s))
                .filter(|f| f.valid().is_ok() && f.parse::<255>(rest).is_some());
            return grant.into_iter().collect();
        }
        [Self::Hex(len), Self::Alnum(len), Self::Base64Url(len)]
            .into_iter()
            .filter(|f| f.valid().is_ok() && f.parse::<255>(rest).is_some())
            .collect()
    }

    /// The format, if its values fill at most `max` bytes of a key.
    pub(crate) fn at_most(self, max: usize) -> Result<Self, String> {
        self.valid()?;
        if self.bytes() > max {
            return Err(format!(
                "{self}: its values need {} bytes, more than the {max} this value's key holds",
                self.bytes()
            ));
        }
        Ok(self)
    }
}

/// Byte offsets of the 16 digit pairs in a UUID's `8-4-4-4-12` text.
const UUID_PAIRS: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/// Parse the canonical lower-case hyphenated UUID text (`str(uuid4())`) into `out` (16 bytes).
fn parse_uuid(s: &str, out: &mut [u8]) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 || out.len() < 16 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return false;
    }
    let mut bad = 0u8;
    for (o, &at) in out.iter_mut().zip(UUID_PAIRS.iter()) {
        let (hi, lo) = (nibble(b[at]), nibble(b[at + 1]));
        bad |= hi | lo;
        *o = hi << 4 | lo;
    }
    // A non-digit maps to 0xff, whose high bits no digit has.
    bad & 0xf0 == 0
}

/// Append the UUID text of 16 bytes (`8-4-4-4-12` lower-case hex digits) to `out`.
fn push_uuid(out: &mut String, bytes: &[u8]) {
    let mut hex = String::with_capacity(32);
    push_hex(&mut hex, bytes);
    for (i, group) in [0..8, 8..12, 12..16, 16..20, 20..32]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            out.push('-');
        }
        out.push_str(&hex[group]);
    }
}

impl fmt::Display for ValueFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hex(n) => write!(f, "hex {n}"),
            Self::Base64Url(n) => write!(f, "base64url {n}"),
            Self::Alnum(n) => write!(f, "alnum {n}"),
            Self::Uuid4 => f.write_str("uuid4"),
            Self::Grant(g, s) => write!(f, "grant {g} {s}"),
        }
    }
}

impl fmt::Debug for ValueFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ValueFormat({self})")
    }
}

impl FromStr for ValueFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "invalid value format {s:?}: \"hex N\", \"base64url N\", \"alnum N\", \"grant N M\" or \"uuid4\""
            )
        };
        if s == "uuid4" {
            return Ok(Self::Uuid4);
        }
        if let Some(rest) = s.strip_prefix("grant ") {
            let (g, n) = rest.split_once(' ').ok_or_else(bad)?;
            let f = Self::Grant(g.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
            f.valid()?;
            return Ok(f);
        }
        let (alphabet, n) = s.split_once(' ').ok_or_else(bad)?;
        let n: u8 = n.parse().map_err(|_| bad())?;
        let f = match alphabet {
            "hex" => Self::Hex(n),
            "base64url" => Self::Base64Url(n),
            "alnum" => Self::Alnum(n),
            _ => return Err(bad()),
        };
        f.valid()?;
        Ok(f)
    }
}

impl Serialize for ValueFormat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ValueFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Seed;

    const ALL: [ValueFormat; 8] = [
        ValueFormat::Hex(32),
        ValueFormat::Hex(64),
        ValueFormat::Hex(96),
        ValueFormat::Base64Url(43),
        ValueFormat::Base64Url(48),
        ValueFormat::Alnum(42),
        ValueFormat::Alnum(1),
        ValueFormat::Uuid4,
    ];

    #[test]
    fn text_forms_round_trip_and_name_their_key_size() {
        for (f, text) in [
            (ValueFormat::Hex(32), "hex 32"),
            (ValueFormat::Base64Url(43), "base64url 43"),
            (ValueFormat::Alnum(42), "alnum 42"),
            (ValueFormat::Uuid4, "uuid4"),
        ] {
            assert_eq!(f.to_string(), text);
            assert_eq!(text.parse::<ValueFormat>(), Ok(f));
        }
        assert_eq!(ValueFormat::Hex(32).bytes(), 16);
        assert_eq!(ValueFormat::Base64Url(43).bytes(), 43);
        assert_eq!(ValueFormat::Uuid4.bytes(), 16);
        for bad in [
            "hex 31", "hex 0", "alnum 0", "hex", "b64 4", "hex x", "uuid", "hex 256",
        ] {
            assert!(bad.parse::<ValueFormat>().is_err(), "{bad}");
        }
        assert!(ValueFormat::Hex(98).at_most(48).is_err());
        assert!(ValueFormat::Base64Url(48).at_most(48).is_ok());
        assert!(ValueFormat::Base64Url(49).at_most(48).is_err());
    }

    #[test]
    fn drawn_values_render_in_their_alphabet_and_parse_back_exactly() {
        let mut rng = DrawRng::new(Seed([7; 32]));
        for f in ALL {
            for _ in 0..50 {
                let key: [u8; 48] = f.draw(&mut rng);
                assert!(key[f.bytes()..].iter().all(|&b| b == 0), "{f}");
                let text = f.render("p_", &key);
                let rest = &text[2..];
                assert_eq!(rest.len(), f.text_len(), "{text}");
                assert_eq!(f.parse_prefixed::<48>("p_", &text), Some(key), "{text}");
                assert!(ValueFormat::fits(rest).contains(&f), "{text}");
                assert_eq!(f.parse_prefixed::<48>("q_", &text), None);
                assert_eq!(f.parse::<48>(&format!("{rest}x")), None);
            }
        }
    }

    #[test]
    fn fastmcp_formats_draw_the_stream_fastmcp_draws() {
        // The same bytes as `DrawRng::bytes`, so profiles with FastMCP's formats keep their traces.
        let (mut a, mut b) = (DrawRng::new(Seed([1; 32])), DrawRng::new(Seed([1; 32])));
        let code: [u8; 48] = ValueFormat::FASTMCP_CODE.draw(&mut a);
        assert_eq!(code[..16], b.bytes::<16>());
        let token: [u8; 48] = ValueFormat::FASTMCP_TOKEN.draw(&mut a);
        assert_eq!(token[..32], b.bytes::<32>());
        let client: [u8; 48] = ValueFormat::Uuid4.draw(&mut a);
        assert_eq!(client[..16], b.uuid4());
        let mut text = String::new();
        push_uuid(&mut text, &[0xab; 16]);
        assert_eq!(text, "abababab-abab-abab-abab-abababababab");
    }

    #[test]
    fn only_the_exact_text_of_a_value_parses() {
        let hex = ValueFormat::Hex(4);
        assert_eq!(hex.parse::<2>("0aff"), Some([0x0a, 0xff]));
        assert_eq!(hex.parse::<2>("0AFF"), None);
        let b64 = ValueFormat::Base64Url(3);
        assert_eq!(b64.parse::<3>("A-_"), Some([0, 62, 63]));
        assert_eq!(b64.parse::<3>("A+/"), None, "the standard alphabet");
        assert_eq!(b64.parse::<3>("AA="), None, "padding");
        assert_eq!(ValueFormat::Alnum(3).parse::<3>("A-_"), None);
        assert_eq!(ValueFormat::Alnum(3).parse::<3>("aZ9"), Some([26, 25, 61]));
        let upper = "4B923427-66C5-4ED7-AA15-4D8BA265E200";
        assert_eq!(ValueFormat::Uuid4.parse::<16>(upper), None);
        let uuid = upper.to_lowercase();
        assert_eq!(ValueFormat::fits(&uuid), vec![ValueFormat::Uuid4]);
        assert_eq!(
            ValueFormat::fits("abcd"),
            vec![
                ValueFormat::Hex(4),
                ValueFormat::Alnum(4),
                ValueFormat::Base64Url(4)
            ]
        );
        assert_eq!(ValueFormat::fits("a-c"), vec![ValueFormat::Base64Url(3)]);
        assert!(ValueFormat::fits("a*c").is_empty());
        assert!(ValueFormat::fits("").is_empty());
    }
}
