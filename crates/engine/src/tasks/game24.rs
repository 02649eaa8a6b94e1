//! The Game of 24 (a Tree of Thoughts benchmark task) with an exact checker.
//!
//! A puzzle is four numbers; a solution is an arithmetic expression that uses each of them exactly
//! once and equals 24. Checking is exact — rationals, not floats — because solutions such as
//! `8 / (3 - 8 / 3)` need fractions on the way. [`Game24::check_answer`] also digs the expression
//! out of a model's free text (markdown, LaTeX, `… = 24`), so benchmarks can score raw outputs.

use std::fmt;

use super::arithmetic::{ExpressionError, Rational, evaluate};

/// Whether a model's expression solves a puzzle, and if not, why.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict24 {
    /// The expression uses the four numbers exactly once each and equals 24.
    Solved,
    /// No expression was found, or it could not be evaluated.
    Unparseable(ExpressionError),
    /// The numbers used are not the puzzle's four, each exactly once.
    WrongNumbers {
        /// The literals the expression used, in order.
        used: Vec<i64>,
    },
    /// The right numbers, but the value is not 24.
    WrongValue {
        /// The exact value the expression has.
        value: Rational,
    },
}

/// A Game of 24 puzzle: four numbers to combine into 24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Game24 {
    numbers: [i64; 4],
}

impl Game24 {
    /// A puzzle with these four numbers (any integers; [`Game24::parse`] checks the usual range).
    pub fn new(numbers: [i64; 4]) -> Self {
        Self { numbers }
    }

    /// A puzzle as written in the benchmark's CSV: four whitespace-separated integers in 1..=13,
    /// such as `1 1 4 6`. `None` for any other count or value.
    pub fn parse(puzzle: &str) -> Option<Self> {
        let values: Vec<i64> = puzzle
            .split_whitespace()
            .map(|word| word.parse().ok().filter(|n| (1..=13).contains(n)))
            .collect::<Option<_>>()?;
        values.try_into().ok().map(Self::new)
    }

    /// The four numbers, in the puzzle's order.
    pub fn numbers(&self) -> [i64; 4] {
        self.numbers
    }

    /// Checks a bare expression such as `(6 - 4) * (4 + 8)`.
    pub fn check_expression(&self, expression: &str) -> Verdict24 {
        let evaluated = match evaluate(expression) {
            Ok(evaluated) => evaluated,
            Err(error) => return Verdict24::Unparseable(error),
        };
        let (mut used, mut wanted) = (evaluated.numbers.clone(), self.numbers.to_vec());
        used.sort_unstable();
        wanted.sort_unstable();
        if used != wanted {
            Verdict24::WrongNumbers { used: evaluated.numbers }
        } else if evaluated.value != Rational::integer(24) {
            Verdict24::WrongValue { value: evaluated.value }
        } else {
            Verdict24::Solved
        }
    }

    /// Checks a model's free-text answer: finds the expression with [`candidate_expression`] and
    /// checks it; no candidate is `Unparseable(ExpressionError::Empty)`.
    pub fn check_answer(&self, text: &str) -> Verdict24 {
        match candidate_expression(text) {
            Some(expression) => self.check_expression(&expression),
            None => Verdict24::Unparseable(ExpressionError::Empty),
        }
    }

    /// 1.0 when [`Game24::check_answer`] says solved, else 0.0: a verifier score for strategies.
    pub fn verifier_score(&self, text: &str) -> f64 {
        if self.check_answer(text) == Verdict24::Solved { 1.0 } else { 0.0 }
    }

    /// Whether any expression solves this puzzle (exhaustive search with exact arithmetic).
    pub fn is_solvable(&self) -> bool {
        reaches_24(&self.numbers.map(Rational::integer))
    }
}

/// Whether some way of repeatedly combining two of `values` ends in exactly 24.
fn reaches_24(values: &[Rational]) -> bool {
    if let [only] = values {
        return *only == Rational::integer(24);
    }
    values.iter().enumerate().any(|(i, &a)| {
        values.iter().enumerate().skip(i + 1).any(|(j, &b)| {
            let rest = values.iter().enumerate().filter(|&(k, _)| k != i && k != j);
            let combined = [a.checked_add(b), a.checked_sub(b), b.checked_sub(a), a.checked_mul(b)];
            let divided = [a.checked_div(b), b.checked_div(a)];
            combined.into_iter().chain(divided).flatten().any(|value| {
                let next: Vec<Rational> =
                    rest.clone().map(|(_, &r)| r).chain(std::iter::once(value)).collect();
                reaches_24(&next)
            })
        })
    })
}

impl fmt::Display for Game24 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.numbers;
        write!(f, "{a} {b} {c} {d}")
    }
}

/// The expression a model's free text offers as its answer, cleaned of markdown and LaTeX.
///
/// Lines are read from the last backwards: first a line mentioning "answer" (the text after its
/// last `:`), else a line with `=` and `24`. `expr = 24` and `24 = expr` both give `expr`. Only a
/// candidate that parses and combines at least two numbers counts; otherwise `None`.
pub fn candidate_expression(text: &str) -> Option<String> {
    let lines = || text.lines().rev();
    let answer_lines = lines().filter(|line| line.to_lowercase().contains("answer"));
    let equation_lines = lines().filter(|line| line.contains('=') && line.contains("24"));
    answer_lines.chain(equation_lines).map(clean_line).find(|candidate| is_plausible(candidate))
}

fn is_plausible(candidate: &str) -> bool {
    match evaluate(candidate) {
        Ok(evaluated) => evaluated.numbers.len() >= 2,
        Err(error) => matches!(error, ExpressionError::DivisionByZero | ExpressionError::Overflow),
    }
}

/// One line reduced to the expression it states (see [`candidate_expression`]).
fn clean_line(line: &str) -> String {
    let after_label = line.rsplit_once(':').map_or(line, |(_, rest)| rest);
    let mut text = unbox(after_label);
    for noise in ["**", "`", "$", "\\left", "\\right", "\\(", "\\)", "\\[", "\\]"] {
        text = text.replace(noise, "");
    }
    for (latex, ascii) in [("\\times", "*"), ("\\cdot", "*"), ("\\div", "/")] {
        text = text.replace(latex, ascii);
    }
    let start = text.find(|c: char| c.is_ascii_digit() || c == '(').unwrap_or(text.len());
    let text = text.get(start..).unwrap_or_default().trim().trim_end_matches('.');
    let mut sides = text.split('=').map(str::trim);
    let first = sides.next().unwrap_or_default();
    let chosen = match sides.next() {
        Some(second) if first == "24" => second,
        _ => first,
    };
    chosen.trim_end_matches('.').trim().to_string()
}

/// The content of a `\boxed{…}` in `text` (up to the last `}`), or `text` unchanged.
fn unbox(text: &str) -> String {
    let Some((_, inside)) = text.split_once("\\boxed{") else {
        return text.to_string();
    };
    inside.rsplit_once('}').map_or(inside, |(content, _)| content).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::arithmetic::MAX_DEPTH;

    fn check(puzzle: &str, expression: &str) -> Verdict24 {
        Game24::parse(puzzle).unwrap().check_expression(expression)
    }

    #[test]
    fn exact_solutions_are_solved_including_ones_that_need_fractions() {
        assert_eq!(check("4 4 6 8", "(6 - 4) * (4 + 8)"), Verdict24::Solved);
        assert_eq!(check("3 3 8 8", "8 / (3 - 8 / 3)"), Verdict24::Solved);
        assert_eq!(check("1 1 4 6", "6 × 4 ÷ 1 · (1)"), Verdict24::Solved);
    }

    #[test]
    fn a_wrong_value_is_reported_exactly_not_truncated() {
        // With integer division (7 / 2 + 5) * 3 would be 24; exactly it is 51/2.
        let half = Rational::new(51, 2).unwrap();
        assert_eq!(check("2 3 5 7", "(7 / 2 + 5) * 3"), Verdict24::WrongValue { value: half });
        assert_eq!(half.to_string(), "51/2");
        assert_eq!(Rational::new(4, -8).unwrap().to_string(), "-1/2");
        assert_eq!(Rational::new(6, 2), Some(Rational::integer(3)));
        assert_eq!(Rational::integer(1).checked_div(Rational::integer(0)), None);
    }

    #[test]
    fn each_number_must_be_used_exactly_once() {
        let twice = check("1 2 3 4", "(4 + 4) * 3 * 1");
        assert_eq!(twice, Verdict24::WrongNumbers { used: vec![4, 4, 3, 1] });
        assert_eq!(check("1 1 4 6", "4 * 6"), Verdict24::WrongNumbers { used: vec![4, 6] });
    }

    #[test]
    fn bad_expressions_say_what_is_wrong() {
        let by_zero = check("1 1 4 6", "6 / (1 - 1) * 4");
        assert_eq!(by_zero, Verdict24::Unparseable(ExpressionError::DivisionByZero));
        let error = |text| evaluate(text).unwrap_err();
        assert_eq!(error("-4 + 28"), ExpressionError::UnexpectedCharacter { at: 0, found: '-' });
        assert_eq!(error("4 x 6"), ExpressionError::UnexpectedCharacter { at: 2, found: 'x' });
        assert_eq!(error("(1 + 2))"), ExpressionError::TrailingInput { at: 7 });
        assert_eq!(error("(1 + "), ExpressionError::UnexpectedEnd);
        assert_eq!(error("   "), ExpressionError::Empty);
        assert_eq!(error("99999999999999999999"), ExpressionError::Overflow);
        assert_eq!(error("1 / 0").to_string(), "division by zero");
    }

    #[test]
    fn hostile_nesting_is_rejected_without_overflowing_the_stack() {
        let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(evaluate(&deep), Err(ExpressionError::TooDeep));
        let fine = format!("{}24{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(evaluate(&fine).unwrap().value, Rational::integer(24));
    }

    #[test]
    fn the_answer_is_found_in_chatty_markdown_and_latex() {
        let text = "Let me try 6 - 4 = 2.\nThen 4 + 8 = 12, and 2 * 12 = 24.\n\n\
                    **Answer:** $(6-4) \\times (4+8) = 24$";
        assert_eq!(candidate_expression(text).as_deref(), Some("(6-4) * (4+8)"));
        let game = Game24::new([4, 4, 6, 8]);
        assert_eq!((game.check_answer(text), game.verifier_score(text)), (Verdict24::Solved, 1.0));
        let boxed = "So the answer is \\boxed{8 \\div \\left(3 - 8 \\div 3\\right)}.";
        assert_eq!(Game24::new([3, 3, 8, 8]).check_answer(boxed), Verdict24::Solved);
    }

    #[test]
    fn both_sides_of_the_equals_sign_are_understood() {
        assert_eq!(candidate_expression("24 = 4*6*1*1").as_deref(), Some("4*6*1*1"));
        let steps = "Steps: 1 * 1 = 1\nSo 4 * 6 * 1 * 1 = 24.\nAnswer: 24";
        assert_eq!(candidate_expression(steps).as_deref(), Some("4 * 6 * 1 * 1"));
    }

    #[test]
    fn text_without_an_expression_yields_nothing() {
        assert_eq!(candidate_expression("I could not find a solution, sorry."), None);
        assert_eq!(candidate_expression(""), None);
        let game = Game24::new([1, 1, 4, 6]);
        let verdict = Verdict24::Unparseable(ExpressionError::Empty);
        assert_eq!((game.check_answer("no idea"), game.verifier_score("no idea")), (verdict, 0.0));
    }

    #[test]
    fn puzzles_parse_like_the_benchmark_csv_and_solvability_is_exact() {
        assert_eq!(Game24::parse("1 1 4 6").unwrap().to_string(), "1 1 4 6");
        assert_eq!(Game24::parse(" 1  11 11 1 ").unwrap().numbers(), [1, 11, 11, 1]);
        for bad in ["1 1 4", "1 1 4 6 7", "0 1 4 6", "1 1 4 14", "1 1 four 6", ""] {
            assert_eq!(Game24::parse(bad), None, "{bad:?}");
        }
        assert!(Game24::new([1, 1, 4, 6]).is_solvable());
        assert!(Game24::new([3, 3, 8, 8]).is_solvable());
        assert!(!Game24::new([1, 1, 1, 1]).is_solvable());
    }
}
