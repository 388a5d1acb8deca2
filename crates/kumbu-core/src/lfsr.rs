//! Reference ids from a maximum-length linear-feedback shift register.
//!
//! A Galois LFSR of width `n` whose feedback polynomial is primitive over GF(2) steps through all
//! 2ⁿ − 1 non-zero states before repeating. Kumbu uses width 30 (2³⁰ − 1 = 1,073,741,823 states)
//! and skips the states above 999,999,999 ("cycle walking"), so the generator yields every
//! 9-digit reference id, 1 to 999,999,999, exactly once, in a scrambled order, before any repeats.
//!
//! The polynomial's primitivity is checked by [`is_primitive`], not taken on trust: the order of
//! `x` modulo the polynomial must be exactly 2ⁿ − 1.

/// Width of the reference-id register.
pub const WIDTH: u32 = 30;
/// x³⁰ + x⁶ + x⁴ + x + 1, as a mask of the terms below x³⁰ (bit k = xᵏ).
pub const TAPS: u64 = (1 << 6) | (1 << 4) | (1 << 1) | 1;
/// Largest reference id (9 digits).
pub const MAX_ID: u64 = 999_999_999;

/// One step of a Galois LFSR of `width` bits with feedback `taps` (the polynomial minus its top
/// term): multiply the state by x modulo the polynomial.
pub const fn step(state: u64, width: u32, taps: u64) -> u64 {
    let top = 1u64 << (width - 1);
    let shifted = (state << 1) & ((1u64 << width) - 1);
    if state & top != 0 {
        shifted ^ taps
    } else {
        shifted
    }
}

/// The next reference id after `state` (a previous id, or any seed in 1..=2³⁰−1): steps until the
/// state is a valid 9-digit id.
pub fn next_reference_id(state: u64) -> u64 {
    let mut s = state;
    loop {
        s = step(s, WIDTH, TAPS);
        if s <= MAX_ID {
            return s;
        }
    }
}

/// (a · b) mod p over GF(2), where p has degree `width` and `taps` are its lower terms.
fn mul_mod(a: u64, b: u64, width: u32, taps: u64) -> u64 {
    let mut acc = 0u64;
    let mut a = a;
    let mut b = b;
    while b != 0 {
        if b & 1 != 0 {
            acc ^= a;
        }
        a = step(a, width, taps);
        b >>= 1;
    }
    acc
}

fn pow_mod(base: u64, mut e: u64, width: u32, taps: u64) -> u64 {
    let mut result = 1u64;
    let mut b = base;
    while e > 0 {
        if e & 1 != 0 {
            result = mul_mod(result, b, width, taps);
        }
        b = mul_mod(b, b, width, taps);
        e >>= 1;
    }
    result
}

fn prime_factors(mut n: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut d = 2;
    while d * d <= n {
        if n.is_multiple_of(d) {
            out.push(d);
            while n.is_multiple_of(d) {
                n /= d;
            }
        }
        d += 1;
    }
    if n > 1 {
        out.push(n);
    }
    out
}

/// Whether the polynomial xʷⁱᵈᵗʰ + taps is primitive: x has order exactly 2ʷⁱᵈᵗʰ − 1 modulo it,
/// which is what makes the register's period maximal.
pub fn is_primitive(width: u32, taps: u64) -> bool {
    let order = (1u64 << width) - 1;
    let x = 2u64; // the polynomial "x"
    if pow_mod(x, order, width, taps) != 1 {
        return false;
    }
    prime_factors(order)
        .into_iter()
        .all(|p| pow_mod(x, order / p, width, taps) != 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_polynomial_is_primitive() {
        assert!(is_primitive(WIDTH, TAPS));
        // A non-primitive one is caught: x³⁰ + 1 (= (x¹⁵ + 1)²).
        assert!(!is_primitive(WIDTH, 1));
    }

    /// Exhaustively, at width 16: the register visits every non-zero state once, and the check
    /// agrees with the exhaustive walk for every polynomial of a smaller width.
    #[test]
    fn maximum_length_exhaustively_at_small_width() {
        let (w, taps) = (16, (1 << 5) | (1 << 3) | (1 << 2) | 1); // x¹⁶+x⁵+x³+x²+1
        assert!(is_primitive(w, taps));
        let mut seen = vec![false; 1 << w];
        let mut s = 1u64;
        for _ in 0..(1u64 << w) - 1 {
            assert!(!seen[s as usize], "state {s} repeated early");
            seen[s as usize] = true;
            s = step(s, w, taps);
        }
        assert_eq!(s, 1, "back to the start after 2^16 - 1 steps");
        assert!(!seen[0]);
        for w in 2..=10u32 {
            for taps in (1..(1u64 << w)).step_by(2) {
                let mut s = 1u64;
                let mut period = 0u64;
                loop {
                    s = step(s, w, taps);
                    period += 1;
                    if s == 1 || period > (1 << w) {
                        break;
                    }
                }
                assert_eq!(
                    is_primitive(w, taps),
                    period == (1 << w) - 1,
                    "width {w} taps {taps:#b}"
                );
            }
        }
    }

    #[test]
    fn ids_are_nine_digits_and_distinct() {
        let mut s = 123_456_789;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..100_000 {
            s = next_reference_id(s);
            assert!((1..=MAX_ID).contains(&s));
            assert!(seen.insert(s));
        }
    }
}
