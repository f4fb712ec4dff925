//! The text of every wiring mistake, written by const fns into a [`Writer`]:
//! `graph!` panics with it at compile time, [`CompileProblem`]'s `Display`
//! renders the same fns into a `String` at run time.
//!
//! [`CompileProblem`]: crate::CompileProblem

use super::Kind;

/// Writes text into a byte buffer, counting what did not fit.
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
    needed: usize,
}

impl<'b> Writer<'b> {
    const ELLIPSIS: &'static [u8] = b"...";

    /// A writer into `buf`.
    pub const fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            needed: 0,
        }
    }

    /// Appends `text`, as far as it fits.
    pub const fn push(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < self.buf.len() {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self.needed += bytes.len();
    }

    /// Appends `text` in backticks.
    pub const fn code(&mut self, text: &str) {
        self.push("`");
        self.push(text);
        self.push("`");
    }

    /// Appends each of `items` in backticks, separated by `, `.
    pub const fn codes(&mut self, items: &[&str]) {
        let mut i = 0;
        while i < items.len() {
            if i > 0 {
                self.push(", ");
            }
            self.code(items[i]);
            i += 1;
        }
    }

    /// The length of the text written: all of it, or, if it did not fit, as
    /// much as fits before a `...` (cut at a char boundary).
    pub const fn finish(self) -> usize {
        if self.needed <= self.buf.len() {
            return self.len;
        }
        if self.buf.len() < Self::ELLIPSIS.len() {
            return 0;
        }
        let mut end = self.buf.len() - Self::ELLIPSIS.len();
        // `end` is the first byte dropped: back up to the start of its char.
        while end > 0 && self.buf[end] & 0xC0 == 0x80 {
            end -= 1;
        }
        let mut d = 0;
        while d < Self::ELLIPSIS.len() {
            self.buf[end + d] = Self::ELLIPSIS[d];
            d += 1;
        }
        end + Self::ELLIPSIS.len()
    }

    /// How many bytes all the text pushed so far takes.
    pub(crate) const fn needed(&self) -> usize {
        self.needed
    }
}

/// Runs `write` into a buffer that fits all it writes.
pub(crate) fn render(write: impl Fn(&mut Writer<'_>)) -> String {
    let mut probe = Writer::new(&mut []);
    write(&mut probe);
    let mut buf = vec![0; probe.needed()];
    let mut writer = Writer::new(&mut buf);
    write(&mut writer);
    let len = writer.finish();
    buf.truncate(len);
    // Only whole `&str`s were written into a buffer that fits them all.
    String::from_utf8(buf)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
}

/// Two nodes share the name `name`.
pub const fn name_taken_twice(w: &mut Writer<'_>, name: &str) {
    w.push("two nodes are named ");
    w.code(name);
    w.push(": if they are one node, use it once, by one path; if not, rename one with `#[node(name = \"..\")]`");
}

/// Several nodes are marked `start`.
pub const fn several_starts(w: &mut Writer<'_>, starts: &[&str]) {
    w.push("several start nodes: ");
    w.codes(starts);
    w.push("; a graph has exactly one, keep `start` on one of them");
}

/// No node is marked `start`.
pub const fn no_start(w: &mut Writer<'_>) {
    w.push("this graph has no start node: mark the node where runs begin `#[node(start)]` (with the builder, `set_start_node` also works)");
}

/// No node is marked `end`; runs stop at `stops`.
pub const fn no_end(w: &mut Writer<'_>, stops: &[&str]) {
    w.push("this graph has no end node: ");
    match stops.len() {
        0 => w.push("mark the nodes where runs finish `#[node(end)]`"),
        1 => {
            w.push("runs stop at ");
            w.codes(stops);
            w.push(", which has no outgoing edge; mark it `#[node(end)]`");
        }
        _ => {
            w.push("runs stop at ");
            w.codes(stops);
            w.push(", which have no outgoing edge; mark the ones where runs finish `#[node(end)]`");
        }
    }
    w.push(" (with the builder, `set_end_node` also works)");
}

/// `node` is wired as a router but is not one.
pub const fn not_a_router(w: &mut Writer<'_>, node: &str) {
    w.code(node);
    w.push(" is wired as a router (`=>`, `add_router`) but is not one: declare it with `#[router]`, or wire it with `->` (`add_edge`)");
}

/// `graph!` only: router `node` has a plain `->` edge.
pub const fn router_with_plain_edge(w: &mut Writer<'_>, node: &str) {
    w.code(node);
    w.push(" is a router: list the nodes it may choose with `=>`, as in `");
    w.push(node);
    w.push(" => [a, b]`, not with `->`");
}

/// The start node does not reach `nodes`.
pub const fn unreachable(w: &mut Writer<'_>, start: &str, nodes: &[&str]) {
    w.codes(nodes);
    w.push(" cannot be reached from the start node ");
    w.code(start);
    if nodes.len() == 1 {
        w.push(": add an edge into it, or remove it from the graph");
    } else {
        w.push(": add edges into them, or remove them from the graph");
    }
}

/// Strict mode found the cycle through `nodes` (back to the first).
pub const fn cycle(w: &mut Writer<'_>, nodes: &[&str]) {
    w.push("cycle `");
    let mut i = 0;
    while i < nodes.len() {
        w.push(nodes[i]);
        w.push(" -> ");
        i += 1;
    }
    if !nodes.is_empty() {
        w.push(nodes[0]);
    }
    w.push("`: strict mode (`strict: true`, `compile_strict`) forbids cycles; remove an edge of the cycle, or drop strict mode");
}

/// Names an edge: `the edge `a -> b``, `the branch `a ~> b``, ...
pub const fn edge(w: &mut Writer<'_>, kind: Kind, router: bool, from: &str, to: &str) {
    match kind {
        Kind::Next => {
            w.push("the edge `");
            w.push(from);
            w.push(if router { " => " } else { " -> " });
            w.push(to);
            w.push("`");
        }
        Kind::Join(_) => {
            w.code(from);
            w.push(" joining into ");
            w.code(to);
        }
        Kind::Branch => {
            w.push("the branch `");
            w.push(from);
            w.push(" ~> ");
            w.push(to);
            w.push("`");
        }
    }
}

/// Follows [`edge`]: that edge is declared twice.
pub const fn declared_twice(w: &mut Writer<'_>) {
    w.push(" is declared twice: remove one");
}

/// No fan-out's branches end at the join from `sources` into `destination`.
pub const fn join_without_fork(w: &mut Writer<'_>, sources: &[&str], destination: &str) {
    w.push("the join into ");
    w.code(destination);
    w.push(" waits for parallel branches, but no fan-out before it has a branch that ends at ");
    let mut i = 0;
    while i < sources.len() {
        if i > 0 {
            w.push(" or ");
        }
        w.code(sources[i]);
        i += 1;
    }
    w.push(": fan out first, as in `x -> [");
    if sources.len() == 1 {
        w.push(sources[0]);
        w.push(", y]`, or replace the join with the edge `");
        w.push(sources[0]);
        w.push(" -> ");
        w.push(destination);
        w.push("`");
    } else {
        let mut i = 0;
        while i < sources.len() {
            if i > 0 {
                w.push(", ");
            }
            w.push(sources[i]);
            i += 1;
        }
        w.push("]`");
    }
}
