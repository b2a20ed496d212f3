//! The lexer: turns a format string into tokens on demand, one at a time.
//!
//! Lexing is lazy so the first fault in the text is the one reported, whether it is a bad
//! token or bad grammar. Every step consumes at least one byte, so lexing is linear in the
//! input and always ends. The lexer knows spelling only (numbers, strings, keywords,
//! punctuation); it never decides what a token means in the grammar and never consults a
//! model.

use strata_model::Value;

use crate::ast::{Operator, PathComponent, Span, StringOptions};
use crate::parse_error::{ParseError, ParseErrorKind};

/// One token and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// A name that is not a keyword, or any name escaped with `#`.
    Identifier(String),
    /// A reserved word (matched case-insensitively, never when escaped with `#`).
    Keyword(Keyword),
    /// `$name`.
    Variable(String),
    /// `@count`, `@sum`, `@avg`, `@min`, `@max`.
    CollectionOperator(PathComponent),
    /// A number literal with its sign: `Int64` or `Double`.
    Number(Value),
    /// A quoted string with its escapes resolved.
    Str(String),
    /// `%@ %K %d %i %f %s`: the letter after `%`.
    Placeholder(char),
    /// `[c]`, `[d]`, `[cd]`.
    Options(StringOptions),
    /// A symbolic comparison operator (`==`, `<>`, `=<`, …).
    Comparison(Operator),
    LeftParen,
    RightParen,
    LeftBrace,
    RightBrace,
    Comma,
    Dot,
    /// `&&`.
    AndAnd,
    /// `||`.
    OrOr,
    /// `!`.
    Bang,
    End,
}

/// Reserved words of the grammar. Other words (`size`, `first`, …) are plain identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    In,
    Any,
    Some,
    All,
    None,
    BeginsWith,
    EndsWith,
    Contains,
    Like,
    Matches,
    Between,
    Nil,
    True,
    False,
    SelfObject,
    Subquery,
    Cast,
    TruePredicate,
    FalsePredicate,
}

/// Every keyword spelling, upper-case; words compare case-insensitively.
const KEYWORDS: [(&str, Keyword); 25] = [
    ("AND", Keyword::And),
    ("OR", Keyword::Or),
    ("NOT", Keyword::Not),
    ("IN", Keyword::In),
    ("ANY", Keyword::Any),
    ("SOME", Keyword::Some),
    ("ALL", Keyword::All),
    ("NONE", Keyword::None),
    ("BEGINSWITH", Keyword::BeginsWith),
    ("ENDSWITH", Keyword::EndsWith),
    ("CONTAINS", Keyword::Contains),
    ("LIKE", Keyword::Like),
    ("MATCHES", Keyword::Matches),
    ("BETWEEN", Keyword::Between),
    ("NIL", Keyword::Nil),
    ("NULL", Keyword::Nil),
    ("TRUE", Keyword::True),
    ("YES", Keyword::True),
    ("FALSE", Keyword::False),
    ("NO", Keyword::False),
    ("SELF", Keyword::SelfObject),
    ("SUBQUERY", Keyword::Subquery),
    ("CAST", Keyword::Cast),
    ("TRUEPREDICATE", Keyword::TruePredicate),
    ("FALSEPREDICATE", Keyword::FalsePredicate),
];

/// The keyword `word` spells, if any.
pub(crate) fn keyword(word: &str) -> Option<Keyword> {
    KEYWORDS.iter().find(|(k, _)| k.eq_ignore_ascii_case(word)).map(|&(_, kw)| kw)
}

/// Whether `c` may start a name.
pub(crate) fn is_identifier_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

/// Whether `c` may continue a name.
pub(crate) fn is_identifier_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Whether `text` is a plain name (`title`, `_x1`, `név`).
pub(crate) fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(is_identifier_start) && chars.all(is_identifier_continue)
}

/// The collection operator `@name` spells (case-insensitive), if any.
pub(crate) fn collection_operator(name: &str) -> Option<PathComponent> {
    [
        ("count", PathComponent::Count),
        ("sum", PathComponent::Sum),
        ("avg", PathComponent::Avg),
        ("min", PathComponent::Min),
        ("max", PathComponent::Max),
    ]
    .into_iter()
    .find(|(n, _)| n.eq_ignore_ascii_case(name))
    .map(|(_, c)| c)
}

/// A cursor over the source that yields tokens.
#[derive(Debug, Clone)]
pub(crate) struct Lexer<'a> {
    source: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(source: &'a str) -> Lexer<'a> {
        Lexer { source, pos: 0 }
    }

    fn peek_char(&self) -> Option<char> {
        self.source[self.pos..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.source[self.pos..].chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        let matched = self.peek_char() == Some(c);
        if matched {
            self.pos += c.len_utf8();
        }
        matched
    }

    fn eat_while(&mut self, pred: impl Fn(char) -> bool) {
        while self.peek_char().is_some_and(&pred) {
            self.bump();
        }
    }

    fn error(&self, kind: ParseErrorKind, start: usize, end: usize) -> ParseError {
        ParseError::new(kind, Span::new(start, end), self.source)
    }

    /// The next token; [`TokenKind::End`] (repeatedly) at the end of the text.
    pub fn next_token(&mut self) -> Result<Token, ParseError> {
        self.eat_while(char::is_whitespace);
        let start = self.pos;
        let Some(c) = self.bump() else {
            return Ok(Token { kind: TokenKind::End, span: Span::new(start, start) });
        };
        let kind = match c {
            '(' => TokenKind::LeftParen,
            ')' => TokenKind::RightParen,
            '{' => TokenKind::LeftBrace,
            '}' => TokenKind::RightBrace,
            ',' => TokenKind::Comma,
            '.' => TokenKind::Dot,
            '=' if self.eat('=') => TokenKind::Comparison(Operator::Equal),
            '=' if self.eat('<') => TokenKind::Comparison(Operator::LessOrEqual),
            '=' if self.eat('>') => TokenKind::Comparison(Operator::GreaterOrEqual),
            '=' => TokenKind::Comparison(Operator::Equal),
            '!' if self.eat('=') => TokenKind::Comparison(Operator::NotEqual),
            '!' => TokenKind::Bang,
            '<' if self.eat('>') => TokenKind::Comparison(Operator::NotEqual),
            '<' if self.eat('=') => TokenKind::Comparison(Operator::LessOrEqual),
            '<' => TokenKind::Comparison(Operator::Less),
            '>' if self.eat('=') => TokenKind::Comparison(Operator::GreaterOrEqual),
            '>' => TokenKind::Comparison(Operator::Greater),
            '&' if self.eat('&') => TokenKind::AndAnd,
            '|' if self.eat('|') => TokenKind::OrOr,
            '"' | '\'' => TokenKind::Str(self.string(start, c)?),
            '[' => TokenKind::Options(self.options(start)?),
            '%' => self.placeholder(start)?,
            '$' => TokenKind::Variable(self.name_after_sigil(start, "a variable name after '$'")?),
            '#' => TokenKind::Identifier(self.name_after_sigil(start, "a name after '#'")?),
            '@' => self.collection_operator(start)?,
            '-' if self.peek_char().is_some_and(|c| c.is_ascii_digit()) => self.number(start)?,
            c if c.is_ascii_digit() => self.number(start)?,
            c if is_identifier_start(c) => {
                self.eat_while(is_identifier_continue);
                let word = &self.source[start..self.pos];
                keyword(word).map_or_else(|| TokenKind::Identifier(word.to_owned()), TokenKind::Keyword)
            }
            character => {
                return Err(self.error(ParseErrorKind::UnexpectedCharacter { character }, start, self.pos));
            }
        };
        Ok(Token { kind, span: Span::new(start, self.pos) })
    }

    /// `$name` / `#name`: the name after the sigil.
    fn name_after_sigil(&mut self, start: usize, expected: &str) -> Result<String, ParseError> {
        let name_start = self.pos;
        if !self.peek_char().is_some_and(is_identifier_start) {
            let found = self.describe_char_here();
            let kind = ParseErrorKind::UnexpectedToken { expected: expected.to_owned(), found };
            return Err(self.error(kind, start, self.pos));
        }
        self.eat_while(is_identifier_continue);
        Ok(self.source[name_start..self.pos].to_owned())
    }

    fn describe_char_here(&self) -> String {
        self.peek_char().map_or_else(|| "end of input".to_owned(), |c| format!("{c:?}"))
    }

    /// `@count`, `@sum`, `@avg`, `@min`, `@max`.
    fn collection_operator(&mut self, start: usize) -> Result<TokenKind, ParseError> {
        self.eat_while(is_identifier_continue);
        let name = &self.source[start + 1..self.pos];
        match collection_operator(name) {
            Some(op) => Ok(TokenKind::CollectionOperator(op)),
            None => {
                let kind = ParseErrorKind::UnknownCollectionOperator { name: format!("@{name}") };
                Err(self.error(kind, start, self.pos))
            }
        }
    }

    /// `%@ %K %d %i %f %s`.
    fn placeholder(&mut self, start: usize) -> Result<TokenKind, ParseError> {
        match self.bump() {
            Some(c @ ('@' | 'K' | 'd' | 'i' | 'f' | 's')) => Ok(TokenKind::Placeholder(c)),
            _ => {
                let placeholder = self.source[start..self.pos].to_owned();
                Err(self.error(ParseErrorKind::UnknownPlaceholder { placeholder }, start, self.pos))
            }
        }
    }

    /// `[` letters `]`, each letter `c` or `d` (either case).
    fn options(&mut self, start: usize) -> Result<StringOptions, ParseError> {
        self.eat_while(|c| c.is_alphanumeric());
        let letters_end = self.pos;
        if !self.eat(']') {
            let found = self.describe_char_here();
            let kind = ParseErrorKind::Unclosed { open: '[', close: ']', opened_at: start, found };
            return Err(self.error(kind, letters_end, letters_end));
        }
        let mut options = StringOptions::NONE;
        let letters = &self.source[start + 1..letters_end];
        for letter in letters.chars() {
            match letter.to_ascii_lowercase() {
                'c' => options.case_insensitive = true,
                'd' => options.diacritic_insensitive = true,
                _ => {
                    let modifier = self.source[start..self.pos].to_owned();
                    return Err(self.error(ParseErrorKind::UnknownModifier { modifier }, start, self.pos));
                }
            }
        }
        if letters.is_empty() {
            return Err(self.error(
                ParseErrorKind::UnknownModifier { modifier: "[]".into() },
                start,
                self.pos,
            ));
        }
        Ok(options)
    }

    /// A quoted string; `quote` (already consumed) is `"` or `'`.
    fn string(&mut self, start: usize, quote: char) -> Result<String, ParseError> {
        let mut text = String::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(self.error(ParseErrorKind::UnterminatedString, start, start + 1));
            };
            match c {
                c if c == quote => return Ok(text),
                '\\' => text.push(self.escape(start)?),
                c => text.push(c),
            }
        }
    }

    /// One escape; the backslash is consumed. `string_start` is the opening quote.
    fn escape(&mut self, string_start: usize) -> Result<char, ParseError> {
        let start = self.pos - 1;
        let c = match self.bump() {
            Some('"') => '"',
            Some('\'') => '\'',
            Some('\\') => '\\',
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('0') => '\0',
            Some('u') => return self.unicode_escape(start),
            Some(_) => return Err(self.invalid_escape(start)),
            None => {
                return Err(self.error(ParseErrorKind::UnterminatedString, string_start, string_start + 1));
            }
        };
        Ok(c)
    }

    /// `\uXXXX`, or a surrogate pair `\uD83D\uDE00`; `\u` is consumed.
    fn unicode_escape(&mut self, start: usize) -> Result<char, ParseError> {
        let high = self.hex4().ok_or_else(|| self.invalid_escape(start))?;
        if !(0xD800..0xDC00).contains(&high) {
            return char::from_u32(high).ok_or_else(|| self.invalid_escape(start));
        }
        let low = if self.eat('\\') && self.eat('u') { self.hex4() } else { None };
        match low {
            Some(low @ 0xDC00..0xE000) => char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                .ok_or_else(|| self.invalid_escape(start)),
            _ => Err(self.invalid_escape(start)),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.source.get(self.pos..self.pos + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16).ok()
    }

    /// An invalid escape from `start` (the backslash) up to where the lexer stopped, at
    /// least the backslash and one character.
    fn invalid_escape(&mut self, start: usize) -> ParseError {
        if self.pos <= start + 1 {
            self.bump();
        }
        let escape = self.source[start..self.pos].to_owned();
        self.error(ParseErrorKind::InvalidEscape { escape }, start, self.pos)
    }

    /// A number; the first character (a digit or `-`) is consumed.
    ///
    /// `digits [. digits] [e [+-] digits]`, or `0x…`, `0o…`, `0b…` integers.
    fn number(&mut self, start: usize) -> Result<TokenKind, ParseError> {
        let negative = self.source[start..].starts_with('-');
        let digits_start = if negative { self.pos } else { start };
        if negative {
            self.bump();
        }
        let radix = match (self.source.as_bytes().get(digits_start), self.peek_char()) {
            (Some(b'0'), Some('x' | 'X')) => 16,
            (Some(b'0'), Some('o' | 'O')) => 8,
            (Some(b'0'), Some('b' | 'B')) => 2,
            _ => 10,
        };
        if radix != 10 {
            self.bump();
            let body_start = self.pos;
            self.eat_while(|c| c.is_digit(radix));
            let body = &self.source[body_start..self.pos];
            self.reject_trailing_letters(start)?;
            if body.is_empty() {
                return Err(self.invalid_number(start));
            }
            return self.integer(start, body, radix, negative);
        }
        self.eat_while(|c| c.is_ascii_digit());
        let mut float = false;
        if self.peek_char() == Some('.') && self.peek_second().is_some_and(|c| c.is_ascii_digit()) {
            float = true;
            self.bump();
            self.eat_while(|c| c.is_ascii_digit());
        }
        if matches!(self.peek_char(), Some('e' | 'E')) {
            float = true;
            self.bump();
            if matches!(self.peek_char(), Some('+' | '-')) {
                self.bump();
            }
            if !self.peek_char().is_some_and(|c| c.is_ascii_digit()) {
                self.reject_trailing_letters(start)?;
                return Err(self.invalid_number(start));
            }
            self.eat_while(|c| c.is_ascii_digit());
        }
        self.reject_trailing_letters(start)?;
        if float {
            let text = &self.source[start..self.pos];
            return match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(TokenKind::Number(Value::Double(v))),
                Ok(_) => Err(self.out_of_range(start)),
                Err(_) => Err(self.invalid_number(start)),
            };
        }
        let body = &self.source[digits_start..self.pos];
        self.integer(start, body, 10, negative)
    }

    fn integer(&self, start: usize, body: &str, radix: u32, negative: bool) -> Result<TokenKind, ParseError> {
        let magnitude = u64::from_str_radix(body, radix).map_err(|_| self.out_of_range(start))?;
        let value =
            if negative { 0_i64.checked_sub_unsigned(magnitude) } else { i64::try_from(magnitude).ok() };
        value.map(|v| TokenKind::Number(Value::Int64(v))).ok_or_else(|| self.out_of_range(start))
    }

    /// `12abc`, `0x1G`, `1.5.2`: letters, digits or dots glued to a number make it invalid.
    fn reject_trailing_letters(&mut self, start: usize) -> Result<(), ParseError> {
        let glued = |c: char| is_identifier_continue(c) || c == '.';
        if self.peek_char().is_some_and(glued) {
            self.eat_while(glued);
            return Err(self.invalid_number(start));
        }
        Ok(())
    }

    fn invalid_number(&self, start: usize) -> ParseError {
        let text = self.source[start..self.pos].to_owned();
        self.error(ParseErrorKind::InvalidNumber { text }, start, self.pos)
    }

    fn out_of_range(&self, start: usize) -> ParseError {
        let text = self.source[start..self.pos].to_owned();
        self.error(ParseErrorKind::NumberOutOfRange { text }, start, self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Result<Vec<TokenKind>, ParseError> {
        let mut lexer = Lexer::new(source);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token()?;
            if token.kind == TokenKind::End {
                return Ok(out);
            }
            out.push(token.kind);
        }
    }

    #[test]
    fn symbols_take_the_longest_spelling() {
        use Operator::*;
        let ops = kinds("= == != <> < <= =< > >= => ! && ||").unwrap();
        let c = TokenKind::Comparison;
        let expected = [
            c(Equal),
            c(Equal),
            c(NotEqual),
            c(NotEqual),
            c(Less),
            c(LessOrEqual),
            c(LessOrEqual),
            c(Greater),
            c(GreaterOrEqual),
            c(GreaterOrEqual),
            TokenKind::Bang,
            TokenKind::AndAnd,
            TokenKind::OrOr,
        ];
        assert_eq!(ops, expected);
    }

    #[test]
    fn numbers_keep_their_sign_and_radix() {
        let n = |v: i64| TokenKind::Number(Value::Int64(v));
        assert_eq!(
            kinds("0x1F -0o17 0b101 -9223372036854775808").unwrap(),
            [n(31), n(-15), n(5), n(i64::MIN)]
        );
        assert_eq!(
            kinds("1.5e3 -2E-2").unwrap(),
            [TokenKind::Number(Value::Double(1500.0)), TokenKind::Number(Value::Double(-0.02))]
        );
        for bad in ["12abc", "0x", "0b102", "1e", "1.5.2", "0x1G"] {
            let e = kinds(bad).unwrap_err();
            assert!(matches!(e.kind(), ParseErrorKind::InvalidNumber { .. }), "{bad}: {e}");
            assert_eq!(e.span(), Span::new(0, bad.len()), "{bad}");
        }
        for big in ["9223372036854775808", "0x10000000000000000", "1e999", "-0x8000000000000001"] {
            let e = kinds(big).unwrap_err();
            assert!(matches!(e.kind(), ParseErrorKind::NumberOutOfRange { .. }), "{big}: {e}");
        }
    }

    #[test]
    fn strings_resolve_escapes() {
        let s = |t: &str| TokenKind::Str(t.to_owned());
        assert_eq!(
            kinds(r#"'a\'b' "c\"d\\" "\n\t\r\0" "\u00e9\uD83D\uDE00""#).unwrap(),
            [s("a'b"), s("c\"d\\"), s("\n\t\r\0"), s("é😀")]
        );
        for (bad, escape) in [(r#""\q""#, r"\q"), (r#""\u12x4""#, r"\u"), (r#""\uD83D""#, r"\uD83D")] {
            let e = kinds(bad).unwrap_err();
            assert_eq!(e.kind(), &ParseErrorKind::InvalidEscape { escape: escape.into() }, "{bad}");
        }
        assert_eq!(kinds("x = 'abc").unwrap_err().kind(), &ParseErrorKind::UnterminatedString);
        assert_eq!(kinds("'\\").unwrap_err().offset(), 0);
    }

    #[test]
    fn words_sigils_and_modifiers() {
        assert_eq!(
            kinds("and #and $x @COUNT [cd] [Dc]").unwrap(),
            [
                TokenKind::Keyword(Keyword::And),
                TokenKind::Identifier("and".into()),
                TokenKind::Variable("x".into()),
                TokenKind::CollectionOperator(PathComponent::Count),
                TokenKind::Options(StringOptions { case_insensitive: true, diacritic_insensitive: true }),
                TokenKind::Options(StringOptions { case_insensitive: true, diacritic_insensitive: true }),
            ]
        );
        assert!(matches!(kinds("[cx]").unwrap_err().kind(), ParseErrorKind::UnknownModifier { .. }));
        assert!(matches!(
            kinds("@first").unwrap_err().kind(),
            ParseErrorKind::UnknownCollectionOperator { .. }
        ));
        assert!(matches!(kinds("%x").unwrap_err().kind(), ParseErrorKind::UnknownPlaceholder { .. }));
        assert!(matches!(kinds("a ^ b").unwrap_err().kind(), ParseErrorKind::UnexpectedCharacter { .. }));
    }
}
