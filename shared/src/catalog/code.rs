//! Auction codes: what bidders type to join a private auction. Unique across the
//! deployment through `auction_code_index`.

use serde::{Deserialize, Serialize};

use crate::domain::AuctionId;

/// Letters and digits without look-alikes (no 0/O, 1/I/L), so codes survive being read aloud.
const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const LENGTH: usize = 8;

/// An 8-character auction code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuctionCode(String);

impl AuctionCode {
    /// A fresh random code: 8 characters of 31, about 2^39.6 possibilities.
    pub fn generate() -> Self {
        let mut code = String::with_capacity(LENGTH);
        while code.len() < LENGTH {
            let bytes = uuid::Uuid::new_v4().into_bytes();
            // Bytes 6 and 8 carry the UUID's version and variant bits; the other 14 are random.
            let random = bytes.iter().enumerate().filter(|(i, _)| *i != 6 && *i != 8);
            for (_, byte) in random {
                // Keep bytes below 8 × 31 = 248 only, so every character is equally likely.
                let byte = usize::from(*byte);
                if byte < ALPHABET.len() * 8 && code.len() < LENGTH {
                    code.push(char::from(ALPHABET[byte % ALPHABET.len()]));
                }
            }
        }
        Self(code)
    }

    /// Normalises what a person typed: case and whitespace do not matter, wherever it is
    /// (codes are read aloud and typed in groups: `eu75 msye`).
    pub fn parse(text: &str) -> Option<Self> {
        let code: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AuctionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Claims a code for one auction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuctionCodeRecord {
    pub auction_code: AuctionCode,
    pub auction_id: AuctionId,
}

crate::record!(AuctionCodeRecord, AuctionCodeIndex, auction_code);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_back() {
        for _ in 0..100 {
            let code = AuctionCode::generate();
            assert_eq!(
                AuctionCode::parse(&code.as_str().to_lowercase()),
                Some(code)
            );
        }
    }

    #[test]
    fn whitespace_anywhere_and_case_do_not_matter() {
        let code = AuctionCode::parse("EU75MSYE");
        assert!(code.is_some());
        for typed in ["eu75 msye", " EU75\tMSYE ", "e u 7 5 m s y e"] {
            assert_eq!(AuctionCode::parse(typed), code, "{typed:?}");
        }
    }

    #[test]
    fn refuses_look_alikes_and_wrong_lengths() {
        assert_eq!(AuctionCode::parse("ABCD0EFG"), None);
        assert_eq!(AuctionCode::parse("ABC"), None);
    }
}
