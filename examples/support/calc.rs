//! A small arithmetic evaluator: numbers, `+ - * /`, unary minus, parentheses.
//! Shared by `examples/chat.rs` (its calculator route) and `examples/agent` (its
//! `calculate` tool), each including it with `#[path]`.

/// The value of `text`, or `None` unless it is arithmetic with a finite result.
pub fn evaluate(text: &str) -> Option<f64> {
    let tokens: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut parser = Parser { tokens, at: 0 };
    let value = parser.sum()?;
    (parser.at == parser.tokens.len() && value.is_finite()).then_some(value)
}

struct Parser {
    tokens: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.tokens.get(self.at).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        self.at += usize::from(found);
        found
    }

    fn sum(&mut self) -> Option<f64> {
        let mut value = self.product()?;
        loop {
            if self.eat('+') {
                value += self.product()?;
            } else if self.eat('-') {
                value -= self.product()?;
            } else {
                return Some(value);
            }
        }
    }

    fn product(&mut self) -> Option<f64> {
        let mut value = self.factor()?;
        loop {
            if self.eat('*') {
                value *= self.factor()?;
            } else if self.eat('/') {
                value /= self.factor()?;
            } else {
                return Some(value);
            }
        }
    }

    fn factor(&mut self) -> Option<f64> {
        if self.eat('-') {
            return self.factor().map(|value| -value);
        }
        if self.eat('(') {
            let value = self.sum()?;
            return self.eat(')').then_some(value);
        }
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
            self.at += 1;
        }
        self.tokens[start..self.at]
            .iter()
            .collect::<String>()
            .parse()
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::evaluate;

    #[test]
    fn arithmetic_is_evaluated_and_prose_is_not() {
        assert_eq!(evaluate("12 * (3 + 4) - 5 / 2"), Some(81.5));
        assert_eq!(evaluate("-(2.5 + 0.5) * 2"), Some(-6.0));
        assert_eq!(evaluate("What is 2 + 2?"), None);
        assert_eq!(evaluate("1 / 0"), None);
        assert_eq!(evaluate("(1 + 2"), None);
        assert_eq!(evaluate(""), None);
    }
}
