//! Exact arithmetic for checking answers: fractions that never round, and an evaluator for the
//! expressions models write (`+ - * /`, parentheses, the usual glyphs), hardened against hostile
//! input (bounded nesting, checked overflow).

use std::fmt;

/// An exact fraction, always in lowest terms with a positive denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rational {
    numerator: i64,
    denominator: i64,
}

impl Rational {
    /// `numerator / denominator` in lowest terms; `None` if the denominator is zero or the
    /// normalised parts do not fit in `i64`.
    pub fn new(numerator: i64, denominator: i64) -> Option<Self> {
        Self::normalised(i128::from(numerator), i128::from(denominator))
    }

    /// The whole number `value`.
    pub fn integer(value: i64) -> Self {
        Self { numerator: value, denominator: 1 }
    }

    /// Whether this is a whole number.
    pub fn is_integer(self) -> bool {
        self.denominator == 1
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        let ((a, b), (c, d)) = (self.wide(), other.wide());
        Self::normalised(a * d + c * b, b * d)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        let ((a, b), (c, d)) = (self.wide(), other.wide());
        Self::normalised(a * d - c * b, b * d)
    }

    /// `self * other`, or `None` on overflow.
    pub fn checked_mul(self, other: Self) -> Option<Self> {
        let ((a, b), (c, d)) = (self.wide(), other.wide());
        Self::normalised(a * c, b * d)
    }

    /// `self / other`, or `None` on overflow or when `other` is zero.
    pub fn checked_div(self, other: Self) -> Option<Self> {
        let ((a, b), (c, d)) = (self.wide(), other.wide());
        Self::normalised(a * d, b * c)
    }

    /// The parts widened so that the products above cannot overflow (each is below 2^126).
    fn wide(self) -> (i128, i128) {
        (self.numerator.into(), self.denominator.into())
    }

    fn normalised(numerator: i128, denominator: i128) -> Option<Self> {
        if denominator == 0 {
            return None;
        }
        let (mut x, mut y) = (numerator.unsigned_abs(), denominator.unsigned_abs());
        while y != 0 {
            (x, y) = (y, x % y);
        }
        let divisor = i128::try_from(x).ok()?;
        let sign = if denominator < 0 { -1 } else { 1 };
        Some(Self {
            numerator: i64::try_from(numerator / divisor * sign).ok()?,
            denominator: i64::try_from(denominator / divisor * sign).ok()?,
        })
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_integer() {
            write!(f, "{}", self.numerator)
        } else {
            write!(f, "{}/{}", self.numerator, self.denominator)
        }
    }
}

/// Why an expression could not be evaluated. Offsets are byte offsets into the expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpressionError {
    /// There is no expression: the text is empty or blank, or no candidate was found in it.
    #[error("no expression found")]
    Empty,
    /// A character that cannot appear here (letters, unary minus, decimals, …).
    #[error("unexpected `{found}` at byte {at}")]
    UnexpectedCharacter {
        /// Byte offset of the character.
        at: usize,
        /// The character.
        found: char,
    },
    /// The expression stops where a number, `(` or `)` was still needed.
    #[error("the expression ends too early")]
    UnexpectedEnd,
    /// Parentheses nest deeper than [`MAX_DEPTH`].
    #[error("parentheses nest deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Something is divided by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// A number or intermediate result does not fit in 64-bit fractions.
    #[error("a number is too large to compute exactly")]
    Overflow,
    /// A complete expression is followed by more text (for example `4 4` or `(1+2))`).
    #[error("unexpected text after the expression at byte {at}")]
    TrailingInput {
        /// Byte offset where the extra text starts.
        at: usize,
    },
}

/// How deeply parentheses may nest in [`evaluate`]; deeper input is rejected, never recursed into.
pub const MAX_DEPTH: usize = 64;

/// The result of [`evaluate`]: the exact value and the numbers written in the expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    /// The exact value.
    pub value: Rational,
    /// The integer literals, in the order they appear.
    pub numbers: Vec<i64>,
}

/// Evaluates an arithmetic expression exactly: non-negative integers, `+ - * /` with the usual
/// precedence (left-associative), parentheses and whitespace. The glyphs `×`, `·`, `∗` multiply,
/// `÷`, `∕` divide and `−` subtracts. Unary minus is rejected: the Game of 24 only combines its
/// four numbers.
pub fn evaluate(expression: &str) -> Result<Evaluated, ExpressionError> {
    let mut parser =
        Parser { chars: expression.char_indices().peekable(), depth: 0, numbers: Vec::new() };
    if parser.peek().is_none() {
        return Err(ExpressionError::Empty);
    }
    let value = parser.sum()?;
    match parser.peek() {
        None => Ok(Evaluated { value, numbers: parser.numbers }),
        Some((at, c)) if c.is_ascii_digit() || c == '(' || c == ')' => {
            Err(ExpressionError::TrailingInput { at })
        }
        other => Err(unexpected(other)),
    }
}

/// The error for finding `next` where an operand, operator or `)` was needed.
fn unexpected(next: Option<(usize, char)>) -> ExpressionError {
    next.map_or(ExpressionError::UnexpectedEnd, |(at, found)| {
        ExpressionError::UnexpectedCharacter { at, found }
    })
}

/// The ASCII operator a glyph stands for.
fn operator(glyph: char) -> Option<char> {
    match glyph {
        '+' => Some('+'),
        '-' | '−' => Some('-'),
        '*' | '×' | '·' | '∗' => Some('*'),
        '/' | '÷' | '∕' => Some('/'),
        _ => None,
    }
}

fn apply(operator: char, left: Rational, right: Rational) -> Result<Rational, ExpressionError> {
    let result = match operator {
        '+' => left.checked_add(right),
        '-' => left.checked_sub(right),
        '*' => left.checked_mul(right),
        _ if right == Rational::integer(0) => return Err(ExpressionError::DivisionByZero),
        _ => left.checked_div(right),
    };
    result.ok_or(ExpressionError::Overflow)
}

/// Recursive descent: `sum := product (("+"|"-") product)*`, `product := atom (("*"|"/") atom)*`,
/// `atom := integer | "(" sum ")"`.
struct Parser<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    depth: usize,
    numbers: Vec<i64>,
}

impl Parser<'_> {
    /// The next non-blank character, without consuming it.
    fn peek(&mut self) -> Option<(usize, char)> {
        while self.chars.next_if(|&(_, c)| c.is_whitespace()).is_some() {}
        self.chars.peek().copied()
    }

    /// A left-associative chain of `operand`s joined by the `operators`.
    fn chain(
        &mut self,
        operators: [char; 2],
        operand: fn(&mut Self) -> Result<Rational, ExpressionError>,
    ) -> Result<Rational, ExpressionError> {
        let mut value = operand(self)?;
        while let Some(op) = self.peek().and_then(|(_, c)| operator(c)) {
            if !operators.contains(&op) {
                break;
            }
            self.chars.next();
            value = apply(op, value, operand(self)?)?;
        }
        Ok(value)
    }

    fn sum(&mut self) -> Result<Rational, ExpressionError> {
        self.chain(['+', '-'], Self::product)
    }

    fn product(&mut self) -> Result<Rational, ExpressionError> {
        self.chain(['*', '/'], Self::atom)
    }

    fn atom(&mut self) -> Result<Rational, ExpressionError> {
        match self.peek() {
            Some((_, '(')) if self.depth == MAX_DEPTH => Err(ExpressionError::TooDeep),
            Some((_, '(')) => {
                self.chars.next();
                self.depth += 1;
                let value = self.sum()?;
                self.depth -= 1;
                match self.peek() {
                    Some((_, ')')) => {
                        self.chars.next();
                        Ok(value)
                    }
                    other => Err(unexpected(other)),
                }
            }
            Some((_, c)) if c.is_ascii_digit() => {
                let mut number: i64 = 0;
                while let Some(digit) = self.chars.peek().and_then(|&(_, c)| c.to_digit(10)) {
                    self.chars.next();
                    number = number
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(i64::from(digit)))
                        .ok_or(ExpressionError::Overflow)?;
                }
                self.numbers.push(number);
                Ok(Rational::integer(number))
            }
            other => Err(unexpected(other)),
        }
    }
}
