use std::rc::Rc;

use graphai::{Res, tool};

#[tool]
fn count(word: String, cache: Res<Rc<Vec<String>>>) -> usize {
    cache.iter().filter(|w| **w == word).count()
}

fn main() {}
