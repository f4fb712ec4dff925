//! [`GraphShape::to_mermaid`]: a Mermaid flowchart.

use std::fmt::Write;

use super::look;
use crate::shape::{EdgeKind, GraphShape, ShapeNode};

/// The node classes, in the order their `classDef`s are written.
const CLASSES: [&str; 4] = ["startNode", "routerNode", "endNode", "streamNode"];

/// Whether `node` has each of [`CLASSES`].
fn flags(node: &ShapeNode) -> [bool; 4] {
    [node.start, node.router, node.end, node.stream]
}

pub(super) fn write(shape: &GraphShape) -> String {
    let mut out = String::from("flowchart TD\n");
    for (i, node) in shape.nodes().iter().enumerate() {
        let label = label(&node.name);
        let _ = match (node.router, node.start || node.end) {
            (true, _) => writeln!(out, "    n{i}{{\"{label}\"}}"),
            (false, true) => writeln!(out, "    n{i}([\"{label}\"])"),
            (false, false) => writeln!(out, "    n{i}[\"{label}\"]"),
        };
    }

    // Link numbers (for `linkStyle`) of each edge kind, in order of first use;
    // regular edges keep Mermaid's own style.
    let mut links: Vec<(EdgeKind, Vec<usize>)> = Vec::new();
    let mut written = 0;
    for edge in shape.edges() {
        let (Some(from), Some(to)) = (shape.index_of(&edge.from), shape.index_of(&edge.to)) else {
            continue;
        };
        let arrow = match edge.kind {
            EdgeKind::Regular | EdgeKind::Parallel => "-->",
            EdgeKind::RouterChoice | EdgeKind::WaitingBranch { .. } => "-.->",
            EdgeKind::Join => "==>",
            EdgeKind::DetachedBranch { .. } => "-.-o",
        };
        let _ = match look::label(edge.kind) {
            Some(text) => writeln!(out, "    n{from} {arrow}|\"{text}\"| n{to}"),
            None => writeln!(out, "    n{from} {arrow} n{to}"),
        };
        match links.iter_mut().find(|(kind, _)| *kind == edge.kind) {
            Some((_, numbers)) => numbers.push(written),
            None => links.push((edge.kind, vec![written])),
        }
        written += 1;
    }

    for (k, class) in CLASSES.into_iter().enumerate() {
        let members: Vec<String> = (shape.nodes().iter().enumerate())
            .filter(|(_, node)| flags(node)[k])
            .map(|(i, _)| format!("n{i}"))
            .collect();
        if !members.is_empty() {
            let _ = writeln!(out, "    classDef {class} {}", class_style(class));
            let _ = writeln!(out, "    class {} {class}", members.join(","));
        }
    }
    for (kind, numbers) in links
        .into_iter()
        .filter(|(kind, _)| *kind != EdgeKind::Regular)
    {
        let numbers: Vec<String> = numbers.iter().map(usize::to_string).collect();
        let _ = writeln!(
            out,
            "    linkStyle {} {}",
            numbers.join(","),
            link_style(kind)
        );
    }
    out
}

/// Each class sets different properties, so a node with several keeps all.
fn class_style(class: &str) -> String {
    match class {
        "startNode" => format!("fill:{},stroke:{}", look::START_FILL, look::START_STROKE),
        "routerNode" => format!("fill:{},stroke:{}", look::ROUTER_FILL, look::ROUTER_STROKE),
        "endNode" => format!("stroke:{},stroke-width:3px", look::END_STROKE),
        _ => "stroke-dasharray:6 3".to_owned(),
    }
}

fn link_style(kind: EdgeKind) -> String {
    let color = look::color(kind);
    match kind {
        EdgeKind::RouterChoice => format!("stroke:{color},stroke-dasharray:6 4"),
        EdgeKind::Join => format!("stroke:{color},stroke-width:3px"),
        EdgeKind::WaitingBranch { .. } | EdgeKind::DetachedBranch { .. } => {
            format!("stroke:{color},stroke-dasharray:2 3")
        }
        _ => format!("stroke:{color}"),
    }
}

/// A node name as the text of a quoted Mermaid label. Mermaid has no escape
/// character inside quotes, only entity codes (`#quot;`, `#35;`), so every
/// character that could end the string, start an entity, a directive
/// (`%%{`), a Markdown string (a backtick), HTML, or match Mermaid's
/// `style ..:#..;` preprocessing (`:`) becomes one; a newline becomes
/// `<br>`, Mermaid's line break.
pub(crate) fn label(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '\n' => out.push_str("<br>"),
            '#' | '&' | '<' | '>' | '%' | ':' | '`' => {
                let _ = write!(out, "#{};", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "#{};", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn labels_escape_what_mermaid_would_read() {
        assert_eq!(label("plain name"), "plain name");
        assert_eq!(label(r#"say "hi""#), "say #quot;hi#quot;");
        assert_eq!(label("a#b;c"), "a#35;b;c");
        assert_eq!(label("two\nlines"), "two<br>lines");
        assert_eq!(label("<b>&"), "#60;b#62;#38;");
        assert_eq!(label("%%{init: x}%%"), "#37;#37;{init#58; x}#37;#37;");
        assert_eq!(label("`md`"), "#96;md#96;");
        assert_eq!(label("tab\there"), "tab#9;here");
        assert_eq!(label("[x] | (y) ünï 😀"), "[x] | (y) ünï 😀");
    }
}
