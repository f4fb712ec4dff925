//! [`GraphShape::to_dot`]: Graphviz DOT.

use std::fmt::Write;

use super::look;
use crate::shape::{EdgeKind, GraphShape, ShapeNode};

const FONT: &str = "Helvetica,Arial,sans-serif";

pub(super) fn write(shape: &GraphShape) -> String {
    let mut out = String::from("digraph \"graphai\" {\n");
    let _ = writeln!(
        out,
        "    node [shape=box, style=\"rounded,filled\", fillcolor=\"{}\", color=\"{}\", fontname=\"{FONT}\"];",
        look::NODE_FILL,
        look::INK
    );
    let _ = writeln!(
        out,
        "    edge [color=\"{}\", fontname=\"{FONT}\", fontsize=10];",
        look::INK
    );
    for (i, node) in shape.nodes().iter().enumerate() {
        let _ = writeln!(out, "    \"n{i}\" [{}];", node_attributes(node));
    }
    for edge in shape.edges() {
        let (Some(from), Some(to)) = (shape.index_of(&edge.from), shape.index_of(&edge.to)) else {
            continue;
        };
        let attributes = edge_attributes(edge.kind);
        if attributes.is_empty() {
            let _ = writeln!(out, "    \"n{from}\" -> \"n{to}\";");
        } else {
            let _ = writeln!(out, "    \"n{from}\" -> \"n{to}\" [{attributes}];");
        }
    }
    out.push_str("}\n");
    out
}

fn node_attributes(node: &ShapeNode) -> String {
    let mut attributes = vec![format!("label=\"{}\"", label(&node.name))];
    if node.router {
        attributes.push("shape=diamond".to_owned());
    }
    if node.stream {
        attributes.push("style=\"rounded,filled,dashed\"".to_owned());
    }
    if node.end {
        attributes.push("peripheries=2".to_owned());
    }
    let fill = match (node.start, node.router) {
        (true, _) => Some(look::START_FILL),
        (false, true) => Some(look::ROUTER_FILL),
        (false, false) => None,
    };
    if let Some(fill) = fill {
        attributes.push(format!("fillcolor=\"{fill}\""));
    }
    let stroke = if node.end {
        Some(look::END_STROKE)
    } else if node.router {
        Some(look::ROUTER_STROKE)
    } else if node.start {
        Some(look::START_STROKE)
    } else {
        None
    };
    if let Some(stroke) = stroke {
        attributes.push(format!("color=\"{stroke}\""));
    }
    attributes.join(", ")
}

fn edge_attributes(kind: EdgeKind) -> String {
    let mut attributes = Vec::new();
    if let Some(text) = look::label(kind) {
        let color = look::color(kind);
        attributes.push(format!("label=\"{text}\""));
        attributes.push(format!("color=\"{color}\""));
        attributes.push(format!("fontcolor=\"{color}\""));
    }
    match kind {
        EdgeKind::RouterChoice => attributes.push("style=dashed".to_owned()),
        EdgeKind::Join => attributes.push("style=bold, penwidth=2".to_owned()),
        EdgeKind::WaitingBranch { .. } => attributes.push("style=dotted".to_owned()),
        EdgeKind::DetachedBranch { .. } => {
            attributes.push("style=dotted, arrowhead=odot".to_owned());
        }
        EdgeKind::Regular | EdgeKind::Parallel => {}
    }
    attributes.join(", ")
}

/// A node name as the text of a quoted DOT label. Inside quotes DOT only
/// unescapes `\"`, but a label is also an escString (`\n`, `\l`, `\N`, ..)
/// whose entities (`&amp;`, `&#35;`) Graphviz decodes: so backslashes are
/// doubled, quotes escaped, newlines become `\n` and `&` becomes `&amp;`.
/// Other control characters, which Graphviz passes raw into its SVG (where
/// XML cannot hold them) or garbles, are shown as their control pictures.
pub(crate) fn label(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => out.push(super::control_picture(c)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn labels_escape_what_dot_would_read() {
        assert_eq!(label("plain name"), "plain name");
        assert_eq!(label(r#"say "hi""#), r#"say \"hi\""#);
        assert_eq!(label(r"back\slash \N"), r"back\\slash \\N");
        assert_eq!(label("two\nlines"), r"two\nlines");
        assert_eq!(label("AT&T\r\t\u{7f}"), "AT&amp;T␍␉␡");
        assert_eq!(label("{x} | <y> ; ünï 😀"), "{x} | <y> ; ünï 😀");
    }
}
