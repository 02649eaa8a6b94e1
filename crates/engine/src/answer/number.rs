//! Numbers as models write them: `1,234.50`, `-7`, `−7` (Unicode minus), `$12`, `3/4`, `.5`, `25%`.
//!
//! Each number becomes an exact canonical key so that `0.75`, `3/4` and `.750` vote together:
//! integers print as integers, terminating fractions as decimals, others as reduced `p/q`. Numbers
//! too long for exact arithmetic keep their digits, normalised.

/// A number found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NumberMatch {
    /// Byte offset where the number (with its sign) starts.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// The canonical key.
    pub key: String,
}

/// All numbers in `text`, in order.
pub(crate) fn numbers(text: &str) -> Vec<NumberMatch> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if starts_number(bytes, i)
            && let Some((m, end)) = parse_at(text, i)
        {
            found.push(m);
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
    found
}

/// The first number in `text`.
pub(crate) fn first_number(text: &str) -> Option<NumberMatch> {
    let bytes = text.as_bytes();
    (0..bytes.len())
        .filter(|&i| starts_number(bytes, i))
        .find_map(|i| parse_at(text, i))
        .map(|m| m.0)
}

/// The last number in `text`.
pub(crate) fn last_number(text: &str) -> Option<NumberMatch> {
    numbers(text).pop()
}

fn byte(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

fn starts_number(bytes: &[u8], i: usize) -> bool {
    let here = byte(bytes, i);
    let prev = if i == 0 { 0 } else { byte(bytes, i - 1) };
    if prev.is_ascii_digit() || prev.is_ascii_alphabetic() || prev == b'_' {
        return false; // inside a longer number or an identifier such as `x2`
    }
    here.is_ascii_digit() || (here == b'.' && byte(bytes, i + 1).is_ascii_digit())
}

fn digits_from(bytes: &[u8], mut i: usize) -> usize {
    while byte(bytes, i).is_ascii_digit() {
        i += 1;
    }
    i
}

/// Parses the number whose first digit (or leading `.`) is at `start`; returns it and its end.
fn parse_at(text: &str, start: usize) -> Option<(NumberMatch, usize)> {
    let bytes = text.as_bytes();
    let mut int_digits = String::new();
    let mut i = start;
    // Integer part, with `1,234,567`-style groups (a comma followed by exactly three digits).
    let first_end = digits_from(bytes, i);
    int_digits.push_str(text.get(i..first_end)?);
    i = first_end;
    if (1..=3).contains(&int_digits.len()) {
        while byte(bytes, i) == b',' {
            let group_end = digits_from(bytes, i + 1);
            if group_end - (i + 1) != 3 {
                break;
            }
            int_digits.push_str(text.get(i + 1..group_end)?);
            i = group_end;
        }
    }
    // Decimal part.
    let mut frac_digits = "";
    if byte(bytes, i) == b'.' && byte(bytes, i + 1).is_ascii_digit() {
        let frac_end = digits_from(bytes, i + 1);
        frac_digits = text.get(i + 1..frac_end)?;
        i = frac_end;
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    // A fraction `a/b` (not after a decimal point, so `1.5/2` stays two numbers' worth of text).
    let mut denominator = "";
    if frac_digits.is_empty() {
        let mut j = i;
        while byte(bytes, j) == b' ' {
            j += 1;
        }
        if byte(bytes, j) == b'/' {
            j += 1;
            while byte(bytes, j) == b' ' {
                j += 1;
            }
            let den_end = digits_from(bytes, j);
            let den_text = text.get(j..den_end).unwrap_or("");
            let nonzero = den_text.bytes().any(|b| b != b'0');
            if nonzero && !byte(bytes, den_end).is_ascii_alphabetic() {
                denominator = den_text;
                i = den_end;
            }
        }
    }
    let (negative, sign_start) = sign_before(text, start);
    let key = canonical(negative, &int_digits, frac_digits, denominator)?;
    Some((NumberMatch { start: sign_start, end: i, key }, i))
}

/// Whether a minus sign precedes the number at `start` (skipping one currency symbol), and where
/// the signed number begins.
fn sign_before(text: &str, start: usize) -> (bool, usize) {
    let head = text.get(..start).unwrap_or("");
    let trimmed = head.strip_suffix(['$', '€', '£']).unwrap_or(head);
    let unsigned_start = trimmed.len();
    let Some(before_sign) = trimmed.strip_suffix(['-', '−']) else {
        return (false, unsigned_start);
    };
    // `3-5` or `x-5` is subtraction, not a negative number.
    match before_sign.chars().next_back() {
        Some(c) if c.is_alphanumeric() || c == ')' => (false, unsigned_start),
        _ => (true, before_sign.len()),
    }
}

const MAX_EXACT_DIGITS: usize = 30;

/// The canonical key of `±int.frac / den`.
fn canonical(negative: bool, int: &str, frac: &str, den: &str) -> Option<String> {
    if int.len() + frac.len() > MAX_EXACT_DIGITS || den.len() > MAX_EXACT_DIGITS {
        return Some(digits_key(negative, int, frac, den));
    }
    let scale = 10i128.checked_pow(u32::try_from(frac.len()).ok()?)?;
    let whole: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let part: i128 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    let mut num = whole.checked_mul(scale)?.checked_add(part)?;
    let mut denom = scale;
    if !den.is_empty() {
        let d: i128 = den.parse().ok().filter(|&d| d != 0)?;
        denom = denom.checked_mul(d)?;
    }
    let g = gcd(num, denom);
    if g > 1 {
        num /= g;
        denom /= g;
    }
    if negative && num != 0 {
        num = -num;
    }
    Some(format_rational(num, denom))
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Number words a short answer may be written in ("eight", "twenty"), in order from zero.
const NUMBER_WORDS: [&str; 21] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

/// The canonical key of an answer that is one number word ("eight" votes with "8"); larger
/// numbers are written in digits by every model this was tried with.
pub(crate) fn number_word_key(word: &str) -> Option<String> {
    NUMBER_WORDS.iter().position(|w| *w == word).map(|n| n.to_string())
}

/// `num/den` as an integer, a terminating decimal, or a reduced fraction.
pub(crate) fn format_rational(num: i128, den: i128) -> String {
    if den == 1 {
        return num.to_string();
    }
    // Terminating decimal iff den = 2^a 5^b; then num/den = num * (10^k / den) / 10^k.
    let (mut rest, mut twos, mut fives) = (den, 0u32, 0u32);
    while rest % 2 == 0 {
        rest /= 2;
        twos += 1;
    }
    while rest % 5 == 0 {
        rest /= 5;
        fives += 1;
    }
    let k = twos.max(fives);
    if rest == 1
        && k <= 30
        && let Some(scaled) = 10i128.checked_pow(k).and_then(|p| num.checked_mul(p / den))
    {
        let digits = scaled.unsigned_abs().to_string();
        let width = k as usize + 1;
        let padded = format!("{digits:0>width$}");
        let (int, frac) = padded.split_at(padded.len() - k as usize);
        let sign = if scaled < 0 { "-" } else { "" };
        return format!("{sign}{int}.{}", frac.trim_end_matches('0'));
    }
    format!("{num}/{den}")
}

/// A key for numbers too long for exact arithmetic: digits without leading/trailing zeros.
fn digits_key(negative: bool, int: &str, frac: &str, den: &str) -> String {
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let mut key = String::new();
    if negative {
        key.push('-');
    }
    key.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        key.push('.');
        key.push_str(frac);
    }
    if !den.is_empty() {
        key.push('/');
        key.push_str(den.trim_start_matches('0'));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        numbers(text).into_iter().map(|m| m.key).collect()
    }

    #[test]
    fn reads_thousands_separators_decimals_and_signs() {
        assert_eq!(keys("It costs $1,234.50 or -7 or −3."), ["1234.5", "-7", "-3"]);
        assert_eq!(keys("a range 3-5 and x-2"), ["3", "5", "2"], "subtraction, not negatives");
        assert_eq!(keys("owes -$12"), ["-12"]);
    }

    #[test]
    fn equal_values_share_a_key() {
        assert_eq!(keys("0.75 3/4 .750 6 / 8"), ["0.75", "0.75", "0.75", "0.75"]);
        assert_eq!(keys("1/3 and 2/6"), ["1/3", "1/3"]);
        assert_eq!(keys("5.00 and 005"), ["5", "5"]);
        assert_eq!(keys("-0 and 0.0"), ["0", "0"]);
    }

    #[test]
    fn skips_identifiers_and_bad_fractions() {
        assert_eq!(keys("x2 h2o 7/0 and 12,34"), ["7", "0", "12", "34"]);
        assert!(first_number("no digits here").is_none());
    }

    #[test]
    fn keeps_huge_numbers_as_digits() {
        let huge = "123456789012345678901234567890123.4500";
        assert_eq!(keys(huge), ["123456789012345678901234567890123.45"]);
    }

    #[test]
    fn first_and_last() {
        assert_eq!(first_number("between 4 and 9").map(|m| m.key).as_deref(), Some("4"));
        assert_eq!(last_number("between 4 and 9").map(|m| m.key).as_deref(), Some("9"));
    }
}
