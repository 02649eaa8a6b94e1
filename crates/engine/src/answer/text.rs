//! Finding where a model states its final answer, and normalising free-text answers.
//!
//! Markers, in the order extraction trusts them: GSM8K's `#### N`, LaTeX `\boxed{…}`, and phrases
//! such as "the answer is …" or "Answer: …". All searches are ASCII case-insensitive and work on
//! byte offsets that stay valid in the original text (ASCII lowercasing keeps every offset).

use std::borrow::Cow;

/// The rest of the line after the last `####`.
pub(crate) fn after_hashes(text: &str) -> Option<&str> {
    let at = text.rfind("####")?;
    Some(first_line(text.get(at + 4..)?))
}

/// The content of the last complete `\boxed{…}` (or `\fbox{…}`), braces balanced.
pub(crate) fn last_boxed(text: &str) -> Option<&str> {
    let at = [r"\boxed{", r"\fbox{"]
        .iter()
        .filter_map(|m| text.rfind(m).map(|i| (i, m.len())))
        .max_by_key(|&(i, _)| i)?;
    let inner_start = at.0 + at.1;
    let mut depth = 1usize;
    for (offset, c) in text.get(inner_start..)?.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return text.get(inner_start..inner_start + offset);
                }
            }
            _ => {}
        }
    }
    None // unbalanced: the text was cut off inside the box
}

const PHRASES: [&str; 4] = ["answer is", "answer:", "answer =", "answer -"];

/// The rest of the line after the last "answer is" / "answer:" phrase, decoration stripped.
pub(crate) fn after_answer_phrase(text: &str) -> Option<&str> {
    // One backward scan without copying the text: answers are near the end, and a branch may
    // hold a megabyte. A phrase is ASCII, so where it matches is a character boundary.
    let bytes = text.as_bytes();
    let (at, len) = (0..bytes.len()).rev().find_map(|i| {
        let rest = bytes.get(i..)?;
        if !rest.first()?.eq_ignore_ascii_case(&b'a') {
            return None; // every phrase starts with "answer"
        }
        PHRASES.iter().find_map(|phrase| {
            let head = rest.get(..phrase.len())?;
            head.eq_ignore_ascii_case(phrase.as_bytes()).then_some((i, phrase.len()))
        })
    })?;
    let rest = first_line(text.get(at + len..)?);
    Some(rest.trim_start_matches(|c: char| c == ':' || c == '*' || c == '=' || c.is_whitespace()))
}

fn first_line(text: &str) -> &str {
    text.split(['\n', '\r']).next().unwrap_or("")
}

/// Replaces the LaTeX that models wrap answers in by plain text: `\frac{a}{b}` → `a/b`,
/// `\text{kg}` → `kg`, `1{,}000` → `1,000`, `\$` → `$`, spacing commands removed.
pub(crate) fn clean_latex(text: &str) -> Cow<'_, str> {
    if !text.contains('\\') && !text.contains("{,}") {
        return Cow::Borrowed(text);
    }
    let mut out = text.replace("{,}", ",");
    for (from, to) in [(r"\$", "$"), (r"\%", "%"), (r"\left", ""), (r"\right", ""), (r"\!", "")] {
        out = out.replace(from, to);
    }
    for spacing in [r"\,", r"\;", r"\ ", r"\quad"] {
        out = out.replace(spacing, "");
    }
    for frac in [r"\dfrac", r"\tfrac", r"\frac"] {
        out = rewrite_command(&out, frac, 2, |args| args.join("/"));
    }
    for wrapper in [r"\text", r"\mathrm", r"\textbf", r"\mathbf", r"\operatorname"] {
        out = rewrite_command(&out, wrapper, 1, |args| args.concat());
    }
    Cow::Owned(out)
}

/// Where each `{` of `text` closes: (opening, closing) byte offsets, by opening offset. One pass
/// with a stack, so finding a command's groups is a lookup — scanning forward from each of a
/// megabyte of unclosed `\text{` took minutes (found by fuzzing), and model output is anyone's.
fn brace_pairs(text: &str) -> Vec<(usize, usize)> {
    let mut open = Vec::new();
    let mut pairs = Vec::new();
    for (at, byte) in text.bytes().enumerate() {
        match byte {
            b'{' => open.push(at),
            b'}' => pairs.extend(open.pop().map(|opening| (opening, at))),
            _ => {}
        }
    }
    pairs.sort_unstable();
    pairs
}

/// The brace group opening at `text[at]`: its content and the offset after it; `None` if there
/// is no `{` there or it never closes.
fn brace_group<'t>(text: &'t str, pairs: &[(usize, usize)], at: usize) -> Option<(&'t str, usize)> {
    let index = pairs.binary_search_by_key(&at, |&(opening, _)| opening).ok()?;
    let &(_, closing) = pairs.get(index)?;
    Some((text.get(at + 1..closing)?, closing + 1))
}

/// Rewrites every `command{a}{b}…` with `groups` brace groups through `render`; a command whose
/// groups are missing or unbalanced is left as it is. Linear in the text.
fn rewrite_command(
    text: &str,
    command: &str,
    groups: usize,
    render: impl Fn(&[&str]) -> String,
) -> String {
    if !text.contains(command) {
        return text.to_owned();
    }
    let pairs = brace_pairs(text);
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    while let Some(found) = text.get(done..).and_then(|rest| rest.find(command)) {
        let at = done + found;
        let after = at + command.len();
        out.push_str(text.get(done..at).unwrap_or(""));
        let mut args = Vec::with_capacity(groups);
        let mut end = after;
        while args.len() < groups {
            let Some((arg, next)) = brace_group(text, &pairs, end) else { break };
            args.push(arg);
            end = next;
        }
        if args.len() == groups {
            out.push_str(&render(&args));
            done = end;
        } else {
            out.push_str(command);
            done = after;
        }
    }
    out.push_str(text.get(done..).unwrap_or(""));
    out
}

/// The key of a free-text answer: LaTeX and markup removed, lowercase, single spaces, no
/// surrounding quotes or final punctuation, no leading article.
pub(crate) fn normalize_text(text: &str) -> String {
    let cleaned = clean_latex(text);
    let trimmed =
        cleaned.trim_matches(|c: char| c.is_whitespace() || "\"'`*_$“”‘’.,;:!".contains(c));
    let unwrapped =
        trimmed.strip_prefix('(').and_then(|s| s.strip_suffix(')')).unwrap_or(trimmed).trim();
    // Subscript digits are digits: "H₂O" and "H2O" are one answer.
    let lower: String = unwrapped
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '₀'..='₉' => {
                char::from_u32(u32::from(c) - u32::from('₀') + u32::from('0')).unwrap_or(c)
            }
            _ => c,
        })
        .collect();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let words = match words.split_first() {
        Some((first, rest)) if !rest.is_empty() && ["the", "a", "an"].contains(first) => rest,
        _ => words.as_slice(),
    };
    words.join(" ")
}

/// Cuts a free-text answer at the end of its first sentence (a `.` followed by a space), keeping
/// decimals such as `3.5` intact.
pub(crate) fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(at) => text.get(..at).unwrap_or(text),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_markers() {
        assert_eq!(after_hashes("work\n#### 42\n"), Some(" 42"));
        assert_eq!(last_boxed(r"so \boxed{\frac{1}{2}} and \boxed{7}"), Some("7"));
        assert_eq!(last_boxed(r"\boxed{\frac{1}{2}}"), Some(r"\frac{1}{2}"));
        assert_eq!(last_boxed(r"\boxed{3"), None);
        assert_eq!(after_answer_phrase("So the Answer is: 12 apples.\nBye"), Some("12 apples."));
        assert_eq!(after_answer_phrase("**Final Answer:** 9"), Some("9"));
        assert_eq!(after_answer_phrase("no phrase"), None);
    }

    #[test]
    fn cleans_latex() {
        assert_eq!(clean_latex(r"\dfrac{3}{4}\text{ kg}"), "3/4 kg");
        assert_eq!(clean_latex(r"1{,}000\,\$"), "1,000$");
        assert_eq!(clean_latex(r"\frac{1"), r"\frac{1");
    }

    #[test]
    fn normalizes_text() {
        assert_eq!(normalize_text("  \"The  Eiffel Tower\". "), "eiffel tower");
        assert_eq!(normalize_text("(B)"), "b");
        assert_eq!(normalize_text(r"\text{Paris}"), "paris");
        assert_eq!(first_sentence("42. That is all"), "42");
        assert_eq!(first_sentence("3.5 units"), "3.5 units");
    }
}
